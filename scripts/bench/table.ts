/**
 * The one output format of every benchmark: a title, notes, an aligned plain-text table and a
 * closing `target:` line. `run-all.ts` reads the same text back (see `parseBenchOutput`), so the
 * figures in docs/performance.md are exactly what was printed.
 */
import { basename } from 'node:path';
import { parseCli } from '../../lib/tools/cli/parse-cli.ts';

export interface BenchTarget {
  /** What the target asks, in words, e.g. "pipeline >= 0.5 x bare JSON.parse". */
  readonly text: string;
  readonly pass: boolean;
}

export interface BenchTable {
  readonly title: string;
  /** How it was measured: sizes, settings, what is computed rather than measured. */
  readonly notes: readonly string[];
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly target: BenchTarget;
}

export const verdict = (pass: boolean): string => (pass ? 'PASS' : 'MISS');

const NUMERIC = /^[-+]?[\d,.]+(\s|x|%|$)/;

/** Columns padded to their widest cell; cells that start with a number are right-aligned. */
export const formatTable = (columns: readonly string[], rows: readonly (readonly string[])[]): string => {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[], header: boolean): string =>
    widths
      .map((w, i) => {
        const cell = cells[i] ?? '';
        return !header && NUMERIC.test(cell) ? cell.padStart(w) : cell.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(columns, true), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(r, false))].join(
    '\n',
  );
};

export const renderBench = (table: BenchTable): string =>
  [
    `== ${table.title} ==`,
    ...table.notes.map((n) => `   ${n}`),
    '',
    formatTable(table.columns, table.rows),
    '',
    `target: ${table.target.text}: ${verdict(table.target.pass)}`,
    '',
  ].join('\n');

export interface ParsedBench {
  readonly title: string;
  readonly text: string;
  readonly target: string;
  readonly verdict: 'PASS' | 'MISS';
}

/** The benches in a run's stdout, in order; lines outside a bench block are ignored. */
export const parseBenchOutput = (stdout: string): ParsedBench[] => {
  const out: ParsedBench[] = [];
  const blocks = stdout.split(/^(?===\s)/m).filter((b) => b.startsWith('== '));
  for (const block of blocks) {
    const title = /^==\s(.+?)\s==/.exec(block)?.[1];
    const target = /^target:\s(.+):\s(PASS|MISS)\s*$/m.exec(block);
    if (title === undefined || target === null) continue;
    const end = block.indexOf(target[0]) + target[0].length;
    out.push({ title, text: block.slice(0, end).trimEnd(), target: target[1]!, verdict: target[2] as 'PASS' | 'MISS' });
  }
  return out;
};

// Figures with their units.
const group = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const count = (n: number): string => group(Math.round(n));
export const perSecond = (n: number, unit = '/s'): string => `${group(Math.round(n))} ${unit}`;
export const ms = (n: number): string => `${group(n, n < 10 ? 2 : 1)} ms`;
export const seconds = (n: number): string => `${group(n, n < 10 ? 2 : 1)} s`;
/** Milliseconds, shown in seconds from 10 s up so short and long waits stay readable side by side. */
export const duration = (msValue: number): string => (msValue >= 10_000 ? seconds(msValue / 1000) : ms(msValue));
export const mib = (bytes: number): string => `${group(bytes / 1048576, 1)} MiB`;
export const ratio = (n: number): string => `${group(n, 2)}x`;

export interface BenchOptions {
  /** A tiny run for the smoke spec: same code paths, sizes too small for figures. */
  readonly quick: boolean;
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
}

/** `--quick` plus the bench's own string options; `--help` and a usage error exit as every script does. */
export const benchOptions = (extra: readonly string[] = []): BenchOptions => {
  const name = basename(process.argv[1] ?? 'bench', '.ts');
  const usage = `Usage: node scripts/bench/${name}.ts [--quick]${extra.map((e) => ` [--${e} <value>]`).join('')}

Runs the ${name} benchmark and prints its table, ratios and PASS/MISS against the target.
  --quick       a tiny run that checks the code paths; its figures mean nothing
  -h, --help    this text
`;
  const { values } = parseCli({
    name,
    usage,
    options: {
      quick: { type: 'boolean', default: false },
      ...Object.fromEntries(extra.map((option) => [option, { type: 'string' as const }])),
    },
  });
  return { quick: Boolean(values.quick), values: values as BenchOptions['values'] };
};

/**
 * Runs one benchmark's main and prints its tables. A MISS is a measurement and exits 0; any
 * error exits 1 with its message, so a broken bench never passes for a slow one.
 */
export const runBench = (
  main: (options: BenchOptions) => Promise<BenchTable | readonly BenchTable[]>,
  extra: readonly string[] = [],
): void => {
  const started = Date.now();
  const options = benchOptions(extra);
  // A stalled peer or pipeline must end the run with a reason, not hang it.
  const limitSecs = Number(process.env.BENCH_TIMEOUT_SECS ?? 1200);
  setTimeout(() => {
    process.stderr.write(`benchmark failed: did not finish within ${limitSecs} s (BENCH_TIMEOUT_SECS)\n`);
    process.exit(1);
  }, limitSecs * 1000).unref();
  Promise.resolve()
    .then(() => main(options))
    .then((tables) => {
      for (const table of [tables].flat() as BenchTable[]) process.stdout.write(`${renderBench(table)}\n`);
      process.stderr.write(`(${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
      // Exit explicitly: a keep-alive socket of a closed peer must not hold the result back.
      process.exit(0);
    })
    .catch((err: unknown) => {
      // The message first, on one line, for run-all's summary; the stack after it for debugging.
      process.stderr.write(
        `benchmark failed: ${err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err)}\n`,
      );
      process.exit(1);
    });
};
