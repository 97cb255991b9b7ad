import { spawn } from 'node:child_process';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { parseBenchOutput } from '../../../../scripts/bench/table.ts';
import type { ParsedBench } from '../../../../scripts/bench/table.ts';

export interface BenchRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const root = join(import.meta.dirname, '..', '..', '..', '..');

/** Runs `scripts/bench/<name>.ts` with `args`, killed after `timeoutMs` (uvu has no time-outs). */
export const runBenchScript = (
  name: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<BenchRun> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'scripts', 'bench', `${name}.ts`), ...args], {
      cwd: root,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      stderr += '\n(killed: time limit)';
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });

/**
 * Asserts a bench printed exactly one table with this title, the header row made of `columns`
 * in order, at least `minRows` data rows, a ratio and a PASS/MISS somewhere in the rows, and a
 * closing target line; returns the parsed block and its data rows.
 */
export const expectTable = (
  run: BenchRun,
  title: string,
  columns: readonly string[],
  minRows: number,
): { bench: ParsedBench; rows: string[] } => {
  assert.is(run.code, 0, `exit code 0 expected; stderr:\n${run.stderr}`);
  const benches = parseBenchOutput(run.stdout);
  assert.is(benches.length, 1, `one table expected in:\n${run.stdout}`);
  const bench = benches[0]!;
  assert.is(bench.title, title);
  const lines = bench.text.split('\n');
  const header = lines.findIndex((l) => columns.every((c) => l.includes(c)));
  assert.ok(header > 0, `header with ${columns.join(' | ')} expected in:\n${bench.text}`);
  const headerLine = lines[header]!;
  const positions = columns.map((c) => headerLine.indexOf(c));
  assert.equal(
    positions,
    [...positions].sort((a, b) => a - b),
    'columns in the expected order',
  );
  assert.match(lines[header + 1]!, /^-+(\s{2}-+)+$/);
  const rows: string[] = [];
  for (const line of lines.slice(header + 2)) {
    if (line.trim() === '') break;
    rows.push(line);
  }
  assert.ok(rows.length >= minRows, `at least ${minRows} rows expected, got ${rows.length}`);
  assert.ok(
    rows.some((r) => /\d[\d,.]*x\b/.test(r)),
    'a ratio column with values',
  );
  assert.ok(
    rows.some((r) => /\b(PASS|MISS)\b/.test(r)),
    'a PASS/MISS cell in the rows',
  );
  assert.match(bench.target, /\S/);
  return { bench, rows };
};
