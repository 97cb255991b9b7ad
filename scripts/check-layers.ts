/**
 * Keeps the layers of the tree true: reads the imports of every .ts file under lib/, pipelines/,
 * scripts/ and spec/, and fails (exit 1, one line per offending import) on an import that breaks a
 * rule of RULES below or on an import cycle among the modules of lib/ and pipelines/.
 * Type-only imports count: a type is a dependency too.
 *
 * Usage: node scripts/check-layers.ts [root]   (root defaults to the repository)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { parseCli } from '../lib/tools/cli/parse-cli.ts';

const USAGE = `Usage: node scripts/check-layers.ts [root]

Checks that every import under lib/, pipelines/, scripts/ and spec/ keeps the layers (rules in
scripts/check-layers.ts) and that lib/ and pipelines/ have no import cycle; exit 1 with one line
per offending import. root defaults to the repository.
  -h, --help   this text
`;

export type Layer =
  | 'core'
  | 'adapters'
  | 'tools'
  | 'service'
  | 'replay'
  | 'graph'
  | 'pipelines'
  | 'lib'
  | 'scripts'
  | 'spec'
  | 'elsewhere';

/** Folders to layers; the first prefix that matches wins, so sub-folders come before their parents. */
const FOLDERS: readonly (readonly [prefix: string, layer: Layer])[] = [
  ['lib/core/', 'core'],
  ['lib/adapters/', 'adapters'],
  ['lib/tools/', 'tools'],
  ['lib/service/', 'service'],
  ['lib/replay/', 'replay'],
  ['lib/', 'lib'],
  ['pipelines/graph/', 'graph'],
  ['pipelines/', 'pipelines'],
  ['scripts/', 'scripts'],
  ['spec/', 'spec'],
];

/** Packages without side effects on the world; the only ones the pure layers may import. */
const PURE_PACKAGES: readonly string[] = ['rxjs'];

interface Rule {
  /** Every layer this one may import (itself included); anything else is refused. */
  readonly only?: readonly Layer[];
  /** Layers this one must not import. */
  readonly never?: readonly Layer[];
  /** When given, the only packages (and their subpaths) it may import; node: built-ins included. */
  readonly packages?: readonly string[];
  readonly why: string;
}

/** The layer rules, one row per layer. Scripts and specs may import anything. */
export const RULES: Readonly<Record<Layer, Rule>> = {
  core: { only: ['core'], packages: PURE_PACKAGES, why: 'the domain knows no adapter, pipeline or root' },
  pipelines: {
    only: ['pipelines', 'core'],
    packages: PURE_PACKAGES,
    why: 'pipelines see the world through the ports of the model',
  },
  graph: {
    only: ['graph', 'pipelines', 'core'],
    packages: PURE_PACKAGES,
    why: 'the wiring layer is pure: the roots hand it the adapters',
  },
  adapters: { never: ['graph', 'service', 'replay'], why: 'adapters are wired by the roots, not the other way' },
  tools: { never: ['graph', 'service', 'replay'], why: 'tools are wired by the roots, not the other way' },
  lib: { never: ['service', 'replay'], why: 'only the wiring layer, the roots, scripts and specs use a root' },
  service: { never: ['replay'], why: 'the two roots share the graph and never import each other' },
  replay: { never: ['service'], why: 'the two roots share the graph and never import each other' },
  scripts: { why: 'entry points and tools' },
  spec: { why: 'specs' },
  elsewhere: { why: 'not checked' },
};

/** Source folders whose modules may not form import cycles. */
const ACYCLIC: readonly string[] = ['lib/', 'pipelines/'];
const SCANNED: readonly string[] = ['lib', 'pipelines', 'scripts', 'spec'];

export interface Violation {
  /** Relative to the root, `/`-separated. */
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export interface Import {
  readonly specifier: string;
  readonly line: number;
}

/** A path relative to the root, with `/` on every platform. */
const posix = (path: string): string => path.split(sep).join('/');

export const layerOf = (path: string): Layer => FOLDERS.find(([prefix]) => path.startsWith(prefix))?.[1] ?? 'elsewhere';

// `import … from '…'`, `export … from '…'` and `import '…'` at the start of a line (so not in a
// comment), then `import('…')` and a worker or child-process entry `new URL('./x.ts', import.meta.url)`
// anywhere.
const STATIC_IMPORT = /^[ \t]*(?:import|export)\s+(?:[^'";]*?\sfrom\s*)?['"]([^'"\n]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;
const MODULE_URL = /\bnew URL\(\s*['"](\.{1,2}\/[^'"\n]+\.ts)['"]\s*,\s*import\.meta\.url\s*\)/g;

/** Every module specifier a source text imports, with its line (1-based). */
export const importsOf = (text: string): Import[] => {
  const lineAt = (index: number): number => text.slice(0, index).split('\n').length;
  const found: Import[] = [];
  for (const pattern of [STATIC_IMPORT, DYNAMIC_IMPORT, MODULE_URL]) {
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1]!;
      found.push({ specifier, line: lineAt(match.index + match[0].lastIndexOf(specifier)) });
    }
  }
  return found.sort((a, b) => a.line - b.line);
};

const sourceFiles = (root: string, dir: string): string[] => {
  const full = join(root, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full).flatMap((name) => {
    if (name === 'node_modules') return [];
    const path = `${dir}/${name}`;
    if (statSync(join(root, path)).isDirectory()) return sourceFiles(root, path);
    return name.endsWith('.ts') ? [path] : [];
  });
};

const isRelative = (specifier: string): boolean => specifier.startsWith('./') || specifier.startsWith('../');

const packageAllowed = (specifier: string, packages: readonly string[]): boolean =>
  packages.some((p) => specifier === p || specifier.startsWith(`${p}/`));

/** The rule an import breaks, as a sentence; undefined when it keeps every rule. */
const breach = (from: Layer, target: string, specifier: string): string | undefined => {
  const rule = RULES[from];
  if (!isRelative(specifier)) {
    if (rule.packages === undefined || packageAllowed(specifier, rule.packages)) return undefined;
    return `${from} may import only the packages ${rule.packages.join(', ')} (${rule.why})`;
  }
  const to = layerOf(target);
  if (rule.only && !rule.only.includes(to)) return `${from} may import only ${rule.only.join(', ')} (${rule.why})`;
  if (rule.never?.includes(to)) return `${from} must not import ${to} (${rule.why})`;
  return undefined;
};

/** One cycle per strongly connected component of `edges`, as a path that ends where it starts (Tarjan). */
const cyclesOf = (edges: ReadonlyMap<string, readonly string[]>): string[][] => {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let top: string;
    do {
      top = stack.pop()!;
      onStack.delete(top);
      component.push(top);
    } while (top !== node);
    if (component.length > 1 || edges.get(node)?.includes(node)) components.push(component);
  };
  for (const node of [...edges.keys()].sort()) if (!index.has(node)) visit(node);
  // One shortest loop per component, from its first file, to name in the report.
  return components.map((component) => {
    const members = new Set(component);
    const start = component.sort()[0]!;
    const cameFrom = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const node = queue.shift()!;
      for (const next of edges.get(node) ?? []) {
        if (!members.has(next)) continue;
        if (next === start) {
          const path = [node];
          while (path[0] !== start) path.unshift(cameFrom.get(path[0]!)!);
          return [...path, start];
        }
        if (!cameFrom.has(next)) {
          cameFrom.set(next, node);
          queue.push(next);
        }
      }
    }
    return [start, start];
  });
};

/** Every import under `root` that breaks a layer rule, and one line per import cycle. */
export const checkLayers = (root: string): Violation[] => {
  const violations: Violation[] = [];
  const edges = new Map<string, string[]>();
  const files = SCANNED.flatMap((dir) => sourceFiles(root, dir));
  for (const file of files) {
    const from = layerOf(file);
    const acyclic = ACYCLIC.some((prefix) => file.startsWith(prefix));
    if (acyclic) edges.set(file, []);
    for (const { specifier, line } of importsOf(readFileSync(join(root, file), 'utf8'))) {
      const target = isRelative(specifier) ? posix(relative(root, join(root, dirname(file), specifier))) : specifier;
      const broken = breach(from, target, specifier);
      if (broken) violations.push({ file, line, message: `imports ${specifier}: ${broken}` });
      if (acyclic && isRelative(specifier) && ACYCLIC.some((prefix) => target.startsWith(prefix)))
        edges.get(file)!.push(target);
    }
  }
  for (const loop of cyclesOf(edges)) {
    const [first, second] = loop;
    const line = importsOf(readFileSync(join(root, first!), 'utf8')).find(
      (i) => posix(relative(root, join(root, dirname(first!), i.specifier))) === second,
    )?.line;
    violations.push({ file: first!, line: line ?? 1, message: `import cycle: ${loop.join(' → ')}` });
  }
  return violations.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
};

if (import.meta.main) {
  const { positionals } = parseCli({ name: 'check-layers', usage: USAGE, options: {}, allowPositionals: true });
  const root = positionals[0] ?? join(import.meta.dirname, '..');
  const violations = checkLayers(root);
  for (const v of violations) console.error(`${v.file}:${v.line} ${v.message}`);
  if (violations.length > 0) {
    console.error(`check-layers: ${violations.length} import(s) break the layers (rules in scripts/check-layers.ts)`);
    process.exit(1);
  }
  console.log('check-layers: every import keeps the layers');
}
