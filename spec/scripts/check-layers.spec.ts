import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { checkLayers, importsOf, layerOf } from '../../scripts/check-layers.ts';
import type { Violation } from '../../scripts/check-layers.ts';

const run = promisify(execFile);
const repository = join(import.meta.dirname, '..', '..');
const roots: string[] = [];

/** A fake tree in a fresh temporary folder: path → source text. */
const tree = (files: Record<string, string>): string => {
  const root = mkdtempSync(join(tmpdir(), 'check-layers-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, dirname(path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
};

/** `file:line` of each violation, the way the report lists them. */
const where = (violations: Violation[]): string[] => violations.map((v) => `${v.file}:${v.line}`).sort();

/** The violations of a tree that holds one file importing `specifier`. */
const importing = (file: string, specifier: string): Violation[] =>
  checkLayers(tree({ [file]: `import { x } from '${specifier}';\n` }));

const fires = (file: string, specifier: string, why: RegExp): void => {
  const violations = importing(file, specifier);
  assert.equal(where(violations), [`${file}:1`], `${file} → ${specifier}`);
  assert.match(violations[0]!.message, why);
  assert.ok(violations[0]!.message.startsWith(`imports ${specifier}: `), violations[0]!.message);
};

const keeps = (file: string, specifier: string): void =>
  assert.equal(importing(file, specifier), [], `${file} → ${specifier}`);

const test = suite('check-layers');
test.after(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

test('the repository keeps every rule', () => {
  assert.equal(checkLayers(repository), []);
});

test('files belong to the layer of their folder, sub-folders first', () => {
  assert.is(layerOf('lib/core/model/ports.ts'), 'core');
  assert.is(layerOf('lib/adapters/db/connect.ts'), 'adapters');
  assert.is(layerOf('lib/tools/report/render-report.ts'), 'tools');
  assert.is(layerOf('lib/service/start-service.ts'), 'service');
  assert.is(layerOf('lib/replay/run-replay.ts'), 'replay');
  assert.is(layerOf('lib/cache/ring.ts'), 'lib');
  assert.is(layerOf('pipelines/graph/service-graph.ts'), 'graph');
  assert.is(layerOf('pipelines/poll-policies.ts'), 'pipelines');
  assert.is(layerOf('scripts/start.ts'), 'scripts');
  assert.is(layerOf('spec/support/marbles.ts'), 'spec');
  assert.is(layerOf('package.json'), 'elsewhere');
});

test('reads static, re-exported, side-effect and dynamic imports and module entries, not comments', () => {
  const text = [
    "import { a } from './a.ts';",
    'import type {',
    '  B,',
    '  C,',
    "} from '../b.ts';",
    "export { d } from './d.ts';",
    "export type { E } from './e.ts';",
    "import './side-effect.ts';",
    '// import { no } from "./comment.ts";',
    " * import { no } from './doc-comment.ts';",
    "const f = await import('./f.ts');",
    "export const g = 'not an import';",
    "const worker = new Worker(new URL('./worker.ts', import.meta.url));",
    "const page = new URL('./page.html', import.meta.url);",
  ].join('\n');
  assert.equal(importsOf(text), [
    { specifier: './a.ts', line: 1 },
    { specifier: '../b.ts', line: 5 },
    { specifier: './d.ts', line: 6 },
    { specifier: './e.ts', line: 7 },
    { specifier: './side-effect.ts', line: 8 },
    { specifier: './f.ts', line: 11 },
    { specifier: './worker.ts', line: 13 },
  ]);
});

test('core imports only core and pure packages', () => {
  keeps('lib/core/policy/a.ts', '../model/policy.ts');
  keeps('lib/core/policy/a.ts', 'rxjs');
  keeps('lib/core/policy/a.ts', 'rxjs/operators');
  fires('lib/core/policy/a.ts', '../../adapters/stores/policy-store.ts', /^imports .*: core may import only core \(/);
  fires('lib/core/policy/a.ts', '../../tools/report/x.ts', /core may import only core/);
  fires('lib/core/policy/a.ts', '../../../pipelines/poll-policies.ts', /core may import only core/);
  fires('lib/core/policy/a.ts', '../../service/start-service.ts', /core may import only core/);
  fires('lib/core/policy/a.ts', '../../../package.json', /core may import only core/);
  for (const impure of ['pino', 'postgres', 'ky', 'ws', 'undici', 'node:fs'])
    fires('lib/core/policy/a.ts', impure, /core may import only the packages rxjs/);
});

test('pipelines import only pipelines and core, and no graph', () => {
  keeps('pipelines/a.ts', './b.ts');
  keeps('pipelines/a.ts', '../lib/core/model/ports.ts');
  keeps('pipelines/a.ts', 'rxjs');
  fires('pipelines/a.ts', '../lib/adapters/log/logger.ts', /pipelines may import only pipelines, core/);
  fires('pipelines/a.ts', '../lib/tools/simulation/x.ts', /pipelines may import only pipelines, core/);
  fires('pipelines/a.ts', './graph/service-graph.ts', /pipelines may import only pipelines, core/);
  fires('pipelines/a.ts', '../lib/replay/run-replay.ts', /pipelines may import only pipelines, core/);
  fires('pipelines/a.ts', 'pino', /pipelines may import only the packages rxjs/);
});

test('the graph imports only the graph, pipelines and core', () => {
  keeps('pipelines/graph/a.ts', './b.ts');
  keeps('pipelines/graph/a.ts', '../poll-policies.ts');
  keeps('pipelines/graph/a.ts', '../../lib/core/model/ports.ts');
  fires(
    'pipelines/graph/a.ts',
    '../../lib/adapters/stores/policy-store.ts',
    /graph may import only graph, pipelines, core/,
  );
  fires('pipelines/graph/a.ts', '../../lib/tools/report/x.ts', /graph may import only graph, pipelines, core/);
  fires('pipelines/graph/a.ts', '../../lib/service/start-service.ts', /graph may import only graph, pipelines, core/);
  fires('pipelines/graph/a.ts', 'postgres', /graph may import only the packages rxjs/);
});

test('adapters and tools import neither the graph nor a root', () => {
  keeps('lib/adapters/db/a.ts', '../../core/model/policy.ts');
  keeps('lib/adapters/db/a.ts', 'postgres');
  keeps('lib/tools/simulation/a.ts', '../../adapters/db/connect.ts');
  for (const file of ['lib/adapters/db/a.ts', 'lib/tools/simulation/a.ts']) {
    const layer = file.split('/')[1];
    fires(file, '../../../pipelines/graph/service-graph.ts', new RegExp(`${layer} must not import graph`));
    fires(file, '../../service/start-service.ts', new RegExp(`${layer} must not import service`));
    fires(file, '../../replay/run-replay.ts', new RegExp(`${layer} must not import replay`));
  }
});

test('the two roots never import each other, and both may use the graph and every layer', () => {
  fires('lib/service/a.ts', '../replay/run-replay.ts', /service must not import replay/);
  fires('lib/replay/a.ts', '../service/start-service.ts', /replay must not import service/);
  for (const root of ['service', 'replay']) {
    keeps(`lib/${root}/a.ts`, '../../pipelines/graph/service-graph.ts');
    keeps(`lib/${root}/a.ts`, '../adapters/log/logger.ts');
    keeps(`lib/${root}/a.ts`, '../tools/report/render-report.ts');
    keeps(`lib/${root}/a.ts`, 'pino');
  }
});

test('outside the graph, the roots, scripts and specs nothing imports a root', () => {
  fires('lib/cache/a.ts', '../service/start-service.ts', /lib must not import service/);
  fires('lib/cache/a.ts', '../replay/run-replay.ts', /lib must not import replay/);
  keeps('scripts/a.ts', '../lib/service/start-service.ts');
  keeps('scripts/bench/a.ts', '../../lib/replay/run-replay.ts');
  keeps('spec/lib/a.spec.ts', '../../lib/service/start-service.ts');
  keeps('spec/a.spec.ts', '../lib/adapters/db/connect.ts');
});

test('an import cycle among lib and pipelines modules fails, type-only imports included', () => {
  const violations = checkLayers(
    tree({
      'lib/core/a.ts': "import { b } from './b.ts';\n",
      'lib/core/b.ts': "\nimport type { C } from './c.ts';\n",
      'lib/core/c.ts': "import { a } from './a.ts';\n",
      'pipelines/x.ts': "import { y } from './y.ts';\n",
      'pipelines/y.ts': "import { x } from './x.ts';\n",
      'lib/adapters/self.ts': "export * from './self.ts';\n",
      'lib/core/fine.ts': "import { a } from './a.ts';\n",
    }),
  );
  assert.equal(
    violations.map((v) => `${v.file}:${v.line} ${v.message}`),
    [
      'lib/adapters/self.ts:1 import cycle: lib/adapters/self.ts → lib/adapters/self.ts',
      'lib/core/a.ts:1 import cycle: lib/core/a.ts → lib/core/b.ts → lib/core/c.ts → lib/core/a.ts',
      'pipelines/x.ts:1 import cycle: pipelines/x.ts → pipelines/y.ts → pipelines/x.ts',
    ],
  );
});

test('cycles among specs and scripts are not the layers’ business', () => {
  assert.equal(
    checkLayers(
      tree({
        'spec/a.ts': "import { b } from './b.ts';\n",
        'spec/b.ts': "import { a } from './a.ts';\n",
        'scripts/a.ts': "import { a } from './a.ts';\n",
      }),
    ),
    [],
  );
});

test('the command lists each offending import and exits 1; a clean tree exits 0', async () => {
  const bad = tree({
    'lib/core/a.ts': "import { x } from '../adapters/x.ts';\nimport pino from 'pino';\n",
    'lib/replay/r.ts': "import { s } from '../service/s.ts';\n",
  });
  const failed = await run(process.execPath, ['scripts/check-layers.ts', bad], { cwd: repository }).then(
    () => undefined,
    (err: { code: number; stderr: string }) => err,
  );
  assert.ok(failed, 'the check should fail');
  assert.is(failed.code, 1);
  const lines = failed.stderr.trim().split('\n');
  assert.equal(lines.slice(0, 3), [
    'lib/core/a.ts:1 imports ../adapters/x.ts: core may import only core (the domain knows no adapter, pipeline or root)',
    'lib/core/a.ts:2 imports pino: core may import only the packages rxjs (the domain knows no adapter, pipeline or root)',
    'lib/replay/r.ts:1 imports ../service/s.ts: replay must not import service (the two roots share the graph and never import each other)',
  ]);
  assert.match(lines[3]!, /^check-layers: 3 import\(s\) break the layers/);

  const clean = tree({ 'lib/core/a.ts': "import { b } from './b.ts';\n", 'lib/core/b.ts': 'export const b = 1;\n' });
  const { stdout } = await run(process.execPath, ['scripts/check-layers.ts', clean], { cwd: repository });
  assert.match(stdout, /every import keeps the layers/);
});

test.run();
