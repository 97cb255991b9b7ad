/**
 * Runs every spec file in its own Node process (isolation, a per-file time bound, two at a time)
 * and prints one closing line: `N passed, N failed`. Usage: node scripts/test.ts [path-substring ...]
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { availableParallelism } from 'node:os';
import { parseCli } from '../lib/tools/cli/parse-cli.ts';

const USAGE = `Usage: node scripts/test.ts [--timeout <secs>] [--jobs <n>] [--quiet] [path-substring ...]

Runs every spec file under spec/ (or those whose path contains a substring) in its own process.
  --timeout <secs>   bound per spec file (180)
  --jobs <n>         spec files at once (2 to 4, by the cores)
  --quiet            no passing output even with VERBOSE=1
  -h, --help         this text
Set TEST_DATABASE_URL to run the database specs against a PostgreSQL server.
`;

const { values, positionals } = parseCli({
  name: 'test',
  usage: USAGE,
  allowPositionals: true,
  options: {
    timeout: { type: 'string', default: '180' },
    jobs: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});
const root = join(import.meta.dirname, '..');
const timeoutMs = Number(values.timeout) * 1000;
const LINGER_MS = 15_000;
const jobs = Number(values.jobs ?? Math.max(2, Math.min(4, availableParallelism())));

const findSpecs = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'support' || name === 'fixtures' ? [] : findSpecs(path);
    return name.endsWith('.spec.ts') ? [path] : [];
  });

const specs = findSpecs(join(root, 'spec'))
  .map((p) => relative(root, p))
  .filter((p) => positionals.length === 0 || positionals.some((f) => p.includes(f)))
  .sort();

interface Outcome {
  file: string;
  passed: number;
  failed: number;
  output: string;
  code: number | null;
  timedOut: boolean;
  /** Killed a while after printing its results, because it had not exited. */
  lingered: boolean;
}

const counts = (output: string) => {
  const total = Number(/Total:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const passed = Number(/Passed:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(output)?.[1] ?? 0);
  return { total, passed, skipped };
};

const runOne = (file: string): Promise<Outcome> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    // uvu prints its totals last. A process still running well after them is stuck on its way
    // out (seen once in many runs: teardown after every handle was closed); its results stand.
    let lingering: NodeJS.Timeout | undefined;
    let lingered = false;
    const onOutput = (d: Buffer) => {
      output += d;
      if (lingering === undefined && /^ {2}Duration: {2}[\d.]+m?s$/m.test(output))
        lingering = setTimeout(() => {
          lingered = true;
          child.kill('SIGKILL');
        }, LINGER_MS);
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    let settled = false;
    const settle = (code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      clearTimeout(lingering);
      const { total, passed, skipped } = counts(output);
      // A crash, a time-out or a non-zero exit with all assertions green still counts as one failure.
      let failed = total - passed - skipped;
      if (((code !== 0 && !lingered) || timedOut || total === 0) && failed === 0) failed = 1;
      resolve({ file, passed, failed, output, code, timedOut, lingered });
    };
    // 'close' waits for the pipes too, and a process the spec started (an embedded database still
    // stopping) may hold them after the spec itself has exited: its exit code decides, after a grace
    // for the last output.
    let grace: NodeJS.Timeout | undefined;
    child.on('exit', (code) => {
      grace = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        settle(code);
      }, 3_000);
    });
    child.on('close', (code) => settle(code));
  });

const started = Date.now();
const outcomes: Outcome[] = [];
const queue = [...specs];
await Promise.all(
  Array.from({ length: jobs }, async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const outcome = await runOne(file);
      outcomes.push(outcome);
      const mark = outcome.failed === 0 ? 'ok  ' : 'FAIL';
      console.log(
        `${mark} ${file} (${outcome.passed} passed, ${outcome.failed} failed${outcome.timedOut ? ', timed out' : ''}${outcome.lingered ? `, killed ${LINGER_MS / 1000} s after its results: it had not exited` : ''})`,
      );
      if (outcome.failed > 0 || (!values.quiet && process.env.VERBOSE))
        console.log(outcome.output.replace(/^/gm, '    '));
    }
  }),
);

const passed = outcomes.reduce((n, o) => n + o.passed, 0);
const failed = outcomes.reduce((n, o) => n + o.failed, 0);
console.log(
  `\n${specs.length} spec files in ${((Date.now() - started) / 1000).toFixed(1)}s against the ${process.env.TEST_DATABASE_URL ? 'PostgreSQL server' : 'embedded'} database`,
);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || specs.length === 0 ? 1 : 0;
