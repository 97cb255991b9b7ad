/**
 * Runs every benchmark in sequence, each in its own process, and writes their tables with the
 * machine they ran on into docs/performance.md (or --out). A quick run writes nothing unless --out
 * is given. Exits 1 when a benchmark fails (a MISS is not a failure).
 * Usage: node scripts/bench/run-all.ts [--quick] [--only name,name] [--out file] [--database-url postgres://…]
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseBenchOutput } from './table.ts';
import type { ParsedBench } from './table.ts';
import { exitWithUsage, parseCli } from '../../lib/tools/cli/parse-cli.ts';

export const BENCHES = [
  'envelope-throughput',
  'apps-per-instance',
  'decision-latency',
  'persistence',
  'memory',
  'replay',
  'policy-lab',
] as const;

const USAGE = `Usage: node scripts/bench/run-all.ts [--quick] [--only name,name] [--out file] [--database-url postgres://...]

Runs every benchmark in its own process and writes their tables to docs/performance.md (or --out).
  --quick                 tiny runs that check the code paths; nothing is written unless --out is given
  --only <a,b>            only these: ${BENCHES.join(', ')}
  --out <file>            where to write the tables
  --database-url <url>    the PostgreSQL server for the persistence benchmark
  --timeout-secs <n>      bound per benchmark (3600: apps-per-instance takes about half of it)
  -h, --help              this text
`;

const { values } = parseCli({
  name: 'run-all',
  usage: USAGE,
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
    'database-url': { type: 'string' },
    'timeout-secs': { type: 'string', default: '3600' },
  },
});
const root = join(import.meta.dirname, '..', '..');
const chosen = values.only
  ? values.only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  : [...BENCHES];
const unknown = chosen.filter((name) => !(BENCHES as readonly string[]).includes(name));
if (unknown.length > 0) exitWithUsage('run-all', USAGE, `unknown benchmark(s) ${unknown.join(', ')}`);
const timeoutMs = Number(values['timeout-secs']) * 1000;

interface Outcome {
  readonly name: string;
  readonly code: number | null;
  readonly benches: ParsedBench[];
  readonly error: string;
  readonly seconds: number;
}

const run = (name: string): Promise<Outcome> =>
  new Promise((resolve) => {
    const args = [join(import.meta.dirname, `${name}.ts`), ...(values.quick ? ['--quick'] : [])];
    if (values['database-url'] && name === 'persistence') args.push('--database-url', values['database-url']);
    const started = Date.now();
    // The benchmark's own bound (BENCH_TIMEOUT_SECS) is this one, so that it ends with its reason first.
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BENCH_TIMEOUT_SECS: String(Math.max(1, timeoutMs / 1000 - 5)) },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      process.stderr.write(d);
    });
    const timer = setTimeout(() => {
      stderr += `\nrun-all: ${name} did not finish within ${timeoutMs / 1000} s\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const benches = parseBenchOutput(stdout);
      const failure = /benchmark failed: (.*)/.exec(stderr)?.[1] ?? stderr.trim().split('\n').at(-1) ?? '';
      resolve({
        name,
        code,
        benches,
        error: code === 0 && benches.length > 0 ? '' : failure || `exit code ${code}`,
        seconds: (Date.now() - started) / 1000,
      });
    });
  });

const outcomes: Outcome[] = [];
for (const name of chosen) outcomes.push(await run(name));

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, Node ${process.version}`;
const date = new Date().toISOString().slice(0, 10);
const summary = outcomes.flatMap((o) =>
  o.error
    ? [`| ${o.name} | — | failed: ${o.error.replace(/\|/g, '\\|')} |`]
    : o.benches.map((b) => `| ${b.title} | ${b.target} | **${b.verdict}** |`),
);
const sections = outcomes.flatMap((o) =>
  o.error
    ? [`## ${o.name}`, '', `Failed: ${o.error}`, '']
    : o.benches.flatMap((b) => [
        `## ${b.title}`,
        '',
        `\`node scripts/bench/${o.name}.ts\` (${o.seconds.toFixed(0)} s)`,
        '',
        '```text',
        b.text.replace(/^== .* ==\n/, ''),
        '```',
        '',
      ]),
);
// What limits one 1500M instance: the smallest of the capacities the benches printed.
const CAPACITY = /^\s*capacity by ([^:]+?): (>= )?([\d,]+) apps/gm;
const capacities = outcomes.flatMap((o) =>
  o.benches.flatMap((b) =>
    [...b.text.matchAll(CAPACITY)].map((m) => ({
      by: m[1]!,
      atLeast: m[2] !== undefined,
      apps: Number(m[3]!.replace(/,/g, '')),
    })),
  ),
);
const limit = capacities.reduce<(typeof capacities)[number] | undefined>(
  (low, c) => (low === undefined || c.apps < low.apps ? c : low),
  undefined,
);
const capacity =
  limit === undefined
    ? []
    : [
        '## Capacity of one 1500M instance',
        '',
        ...capacities.map((c) => `- by ${c.by}: ${c.atLeast ? 'at least ' : ''}${c.apps.toLocaleString('en-US')} apps`),
        '',
        limit.atLeast
          ? `No limit was reached below ${limit.apps.toLocaleString('en-US')} apps (${limit.by} was capped by the bench), so a foundation of 100,000 apps needs at most ${Math.ceil(100_000 / limit.apps)} instance(s) (plus one for redundancy).`
          : `The limit is ${limit.by}: ${limit.apps.toLocaleString('en-US')} apps per instance, so a foundation of 100,000 apps needs ${Math.ceil(100_000 / limit.apps)} instance(s) (plus one for redundancy).`,
        '',
      ];
if (capacity.length > 0) process.stdout.write(`\n${capacity.join('\n')}\n`);

const doc = [
  '# Performance',
  '',
  `Measured by \`node scripts/bench/run-all.ts${values.quick ? ' --quick' : ''}\` on ${date}: ${machine}.`,
  'Every figure and its comparison come from the same run of the same process; ratios are this',
  'service over the reference it is compared with. A MISS is a measurement, not a failure: see each',
  "table's notes for how it was measured. Re-run the script to refresh this file.",
  '',
  '| benchmark | target | result |',
  '|---|---|---|',
  ...summary,
  '',
  ...capacity,
  ...sections,
].join('\n');

const out = values.out ?? (values.quick ? undefined : join(root, 'docs', 'performance.md'));
if (out) {
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, doc);
  process.stderr.write(`run-all: wrote ${out}\n`);
}
process.exitCode = outcomes.some((o) => o.error) ? 1 : 0;
