/**
 * Replay, as a user waits for it: the replay CLI run as a child process and timed from its spawn
 * to its exit, on 24 h of container gauges for 100 apps (2 instances each, every 30 s), in
 * log-cache's split shape (one metric per envelope) and in the combined shape. In the same run,
 * the yardstick: bare JSON.parse of the same lines on one core (json-parse-lines.ts). Then a repeat
 * replay (the aggregation from its cache), the CPU split of a profiled replay, the peak
 * resident memory of the replay's processes, and `npm run replay` on the bundled spike.
 * Usage: node scripts/bench/replay.ts [--quick] [--apps N] [--hours H] [--database embedded|postgres://…]
 *   [--profile yes|no]
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cachesOfRecording, contentHash } from '../../lib/replay/aggregated-cache.ts';
import { CPU_PARTS, cpuSplit } from './cpu-profile-split.ts';
import type { CpuPart } from './cpu-profile-split.ts';
import { BENCH_POLICY, INSTANCES, PERIOD_SECS } from './replay-recording.ts';
import { ensureBenchRecording } from './replay-shapes.ts';
import type { BenchShape } from './replay-shapes.ts';
import { count, mib, ratio, runBench, seconds, verdict } from './table.ts';
import type { BenchTable } from './table.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const REPLAY = join(ROOT, 'scripts', 'replay.ts');
const JSON_PARSE = join(import.meta.dirname, 'json-parse-lines.ts');

const TARGET_FIRST = 1.0;
const TARGET_REPEAT = 0.25;
const TARGET_RSS_MIB = 500;
const TARGET_SPIKE_FIRST_OUTPUT_MS = 1000;
const TARGET_SPIKE_DONE_MS = 1500;

interface ReplayStats {
  readonly envelopes: number;
  readonly scalingEvents: number;
  readonly cache?: string;
  readonly firstEnvelopeMs?: number;
  readonly cpuMs: {
    readonly process: number;
    readonly main: number;
    readonly reader?: number;
    readonly scanner?: number;
  };
  readonly maxRssKiB: number;
  readonly rowsWritten?: number;
}

interface ChildRun {
  /** From spawn to exit, and to the first byte on stdout or stderr. */
  readonly wallMs: number;
  readonly firstOutputMs: number;
  /** The largest sum of resident memory of the child and its descendants, sampled every 25 ms. */
  readonly peakTreeRssBytes: number;
  readonly stdout: string;
  readonly stderr: string;
}

const PAGE = 4096;
const rssOfTree = (root: number): number => {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid);
      if (list) list.push(Number(name));
      else children.set(ppid, [Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  for (const pids = [root]; pids.length > 0; ) {
    const pid = pids.pop()!;
    try {
      total += Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE;
    } catch {
      // gone meanwhile
    }
    pids.push(...(children.get(pid) ?? []));
  }
  return total;
};

const runChild = (command: string, args: readonly string[], cwd: string): Promise<ChildRun> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let firstOutputMs = Number.NaN;
    let stdout = '';
    let stderr = '';
    let peak = 0;
    const seen = () => {
      if (Number.isNaN(firstOutputMs)) firstOutputMs = performance.now() - started;
    };
    child.stdout.on('data', (d: Buffer) => {
      seen();
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      seen();
      stderr += d;
    });
    const sampler = existsSync('/proc')
      ? setInterval(() => {
          if (child.pid !== undefined) peak = Math.max(peak, rssOfTree(child.pid));
        }, 25)
      : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      if (sampler) clearInterval(sampler);
      if (code !== 0)
        reject(new Error(`${[command, ...args].join(' ')} exited with ${code}: ${stderr.trim().split('\n').at(-1)}`));
      else resolve({ wallMs, firstOutputMs, peakTreeRssBytes: peak, stdout, stderr });
    });
  });

const statsOf = (run: ChildRun): ReplayStats => {
  const line = run.stderr.split('\n').find((l) => l.startsWith('stats: '));
  if (!line) throw new Error(`the replay printed no stats line: ${run.stderr.slice(-300)}`);
  return JSON.parse(line.slice('stats: '.length)) as ReplayStats;
};

interface Replay extends ChildRun {
  readonly stats: ReplayStats;
}

const replay = async (cwd: string, args: readonly string[], nodeFlags: readonly string[] = []): Promise<Replay> => {
  const run = await runChild(process.execPath, [...nodeFlags, REPLAY, ...args, '--no-report', '--stats'], cwd);
  return { ...run, stats: statsOf(run) };
};

const peakMib = (r: Replay) => Math.max(r.peakTreeRssBytes, r.stats.maxRssKiB * 1024);
const cpuText = (r: Replay) =>
  `${seconds(r.stats.cpuMs.process / 1000)} (main ${seconds(r.stats.cpuMs.main / 1000)}, aggregation ${seconds((r.stats.cpuMs.reader ?? 0) / 1000)}, scanner ${seconds((r.stats.cpuMs.scanner ?? 0) / 1000)})`;

interface ShapeResult {
  readonly lines: number;
  readonly bytes: number;
  readonly bare: { readonly lines: number; readonly wallMs: number; readonly cpuMs: number };
  readonly first: Replay;
  readonly repeat: Replay;
  readonly split?: Record<CpuPart, number>;
  readonly withDatabase?: Replay;
}

const benchShape = async (
  shape: BenchShape,
  options: { apps: number; hours: number; database?: string; profile: boolean; recordings: string; work: string },
): Promise<ShapeResult> => {
  const recording = await ensureBenchRecording(
    join(options.recordings, `${shape}-${options.apps}apps-${options.hours}h-v2.ndjson.zst`),
    { apps: options.apps, hours: options.hours, shape },
  );
  const policy = join(options.work, 'policy.json');
  await writeFile(policy, BENCH_POLICY);
  const bareRun = await runChild(process.execPath, [JSON_PARSE, recording.path], options.work);
  const bare = JSON.parse(bareRun.stdout) as ShapeResult['bare'];
  // A working directory of its own: the replay keeps its cache under it.
  const cwd = await mkdtemp(join(options.work, `${shape}-`));
  const args = [recording.path, '--policy', policy];
  const first = await replay(cwd, args);
  if (first.stats.cache !== 'written') throw new Error(`the first replay's cache: ${first.stats.cache}`);
  const repeat = await replay(cwd, args);
  if (repeat.stats.cache !== 'read') throw new Error(`the repeat replay's cache: ${repeat.stats.cache}`);
  for (const r of [first, repeat])
    if (r.stats.envelopes !== recording.lines)
      throw new Error(`the replay delivered ${r.stats.envelopes} of ${recording.lines} envelopes`);
  if (repeat.stats.scalingEvents !== first.stats.scalingEvents)
    throw new Error('the repeat replay scaled differently from the first');
  let split: Record<CpuPart, number> | undefined;
  if (options.profile) {
    const profiles = join(cwd, 'profiles');
    await mkdir(profiles);
    await replay(cwd, [...args, '--no-cache'], ['--cpu-prof', `--cpu-prof-dir=${profiles}`]);
    split = await cpuSplit(profiles);
  }
  const withDatabase = options.database
    ? await replay(cwd, [...args, '--no-cache', '--database', options.database])
    : undefined;
  return {
    lines: recording.lines,
    bytes: recording.bytes,
    bare,
    first,
    repeat,
    ...(split ? { split } : {}),
    ...(withDatabase ? { withDatabase } : {}),
  };
};

/** `npm run replay` on the bundled spike, from the repository, first without its cache. */
const benchSpike = async (): Promise<{ first: ChildRun; repeat: ChildRun }> => {
  const recording = join(ROOT, 'recordings', 'spike', 'recording.ndjson.gz');
  const hash = await contentHash(recording);
  for (const cache of cachesOfRecording(join(ROOT, '.cache', 'recordings'), hash)) await rm(cache, { force: true });
  const npm = join(dirname(process.execPath), 'npm');
  const command = existsSync(npm) ? npm : 'npm';
  const first = await runChild(command, ['run', '--silent', 'replay'], ROOT);
  const repeat = await runChild(command, ['run', '--silent', 'replay'], ROOT);
  return { first, repeat };
};

runBench(
  async ({ quick, values }): Promise<BenchTable> => {
    const apps = Number(values.apps ?? (quick ? 5 : 100));
    const hours = Number(values.hours ?? (quick ? 1 : 24));
    if (!(Number.isInteger(apps) && apps > 0 && Number.isInteger(hours) && hours > 0))
      throw new Error(`--apps and --hours must be positive integers, got ${values.apps} and ${values.hours}`);
    const database = values.database as string | undefined;
    const profile = (values.profile ?? 'yes') !== 'no';
    // Recordings are kept between runs (named by their sizes); they take long to write.
    const recordings = join(tmpdir(), 'eg-bench-replay-recordings');
    await mkdir(recordings, { recursive: true });
    const work = await mkdtemp(join(tmpdir(), 'eg-bench-replay-'));
    try {
      const shared = { apps, hours, profile, recordings, work, ...(database ? { database } : {}) };
      const split = await benchShape('split', shared);
      const combined = await benchShape('combined', { ...shared, profile: false, database: undefined });
      const spike = await benchSpike();

      const firstRatio = (r: ShapeResult) => r.first.wallMs / r.bare.wallMs;
      const repeatRatio = (r: ShapeResult) => r.repeat.wallMs / r.bare.wallMs;
      const peak = Math.max(peakMib(split.first), peakMib(split.repeat));
      const checks = {
        first: firstRatio(split) <= TARGET_FIRST,
        repeat: repeatRatio(split) <= TARGET_REPEAT,
        rss: peak <= TARGET_RSS_MIB * 1048576,
        spikeOutput: spike.first.firstOutputMs <= TARGET_SPIKE_FIRST_OUTPUT_MS,
        spikeDone: spike.first.wallMs <= TARGET_SPIKE_DONE_MS,
      };
      const both = (f: (r: ShapeResult) => string): [string, string] => [f(split), f(combined)];
      const cpuTotal = split.split ? CPU_PARTS.reduce((n, p) => n + split.split![p], 0) : 0;
      const rows: string[][] = [
        ['envelopes (lines)', ...both((r) => count(r.lines)), '', ''],
        ['recording, zstd', ...both((r) => mib(r.bytes)), '', ''],
        ['bare JSON.parse of the lines, one core: wall', ...both((r) => seconds(r.bare.wallMs / 1000)), '', ''],
        ['bare JSON.parse: CPU', ...both((r) => seconds(r.bare.cpuMs / 1000)), '', ''],
        ['first replay, from process start: wall', ...both((r) => seconds(r.first.wallMs / 1000)), '', ''],
        [
          'first replay / bare JSON.parse',
          ...both((r) => ratio(firstRatio(r))),
          `<= ${ratio(TARGET_FIRST)} (split)`,
          verdict(checks.first),
        ],
        [
          'first replay: time to first envelope',
          ...both((r) => seconds((r.first.stats.firstEnvelopeMs ?? Number.NaN) / 1000)),
          '',
          '',
        ],
        ['first replay: CPU', ...both((r) => cpuText(r.first)), '', ''],
        ['repeat replay (aggregated cache): wall', ...both((r) => seconds(r.repeat.wallMs / 1000)), '', ''],
        [
          'repeat replay / bare JSON.parse',
          ...both((r) => ratio(repeatRatio(r))),
          `<= ${ratio(TARGET_REPEAT)} (split)`,
          verdict(checks.repeat),
        ],
        ['repeat replay: CPU', ...both((r) => cpuText(r.repeat)), '', ''],
        [
          'peak RSS of the replay (first / repeat)',
          ...both((r) => `${mib(peakMib(r.first))} / ${mib(peakMib(r.repeat))}`),
          `<= ${TARGET_RSS_MIB} MiB (split)`,
          verdict(checks.rss),
        ],
        ['scaling events', ...both((r) => count(r.first.stats.scalingEvents)), '', ''],
        ...(split.split
          ? CPU_PARTS.map((part) => [
              `CPU split of a profiled first replay: ${part}`,
              `${((100 * split.split![part]) / cpuTotal).toFixed(1)} %`,
              '',
              '',
              '',
            ])
          : []),
        ...(split.withDatabase
          ? [
              [
                `first replay with --database ${database?.startsWith('postgres') ? '<url>' : database}: wall`,
                seconds(split.withDatabase.wallMs / 1000),
                '',
                '',
                '',
              ],
              ['with the database / bare JSON.parse', ratio(split.withDatabase.wallMs / split.bare.wallMs), '', '', ''],
              ['with the database: rows written', count(split.withDatabase.stats.rowsWritten ?? 0), '', '', ''],
              ['with the database: peak RSS, its process too', mib(peakMib(split.withDatabase)), '', '', ''],
            ]
          : []),
        [
          'npm run replay (spike): first output',
          seconds(spike.first.firstOutputMs / 1000),
          '',
          `<= ${seconds(TARGET_SPIKE_FIRST_OUTPUT_MS / 1000)}`,
          verdict(checks.spikeOutput),
        ],
        [
          'npm run replay (spike): done',
          seconds(spike.first.wallMs / 1000),
          '',
          `<= ${seconds(TARGET_SPIKE_DONE_MS / 1000)}`,
          verdict(checks.spikeDone),
        ],
        ['npm run replay (spike), repeat: done', seconds(spike.repeat.wallMs / 1000), '', '', ''],
      ];
      const pass = Object.values(checks).every(Boolean);
      return {
        title: 'Replay (24 h of envelopes for 100 apps)',
        notes: [
          `${count(apps)} apps x ${INSTANCES} instances, container gauges every ${PERIOD_SECS} s for ${hours} h, split shape (log-cache: one metric per envelope) and combined shape`,
          'replays: scripts/replay.ts as a child process, timed from spawn to exit (start-up, reading, parsing, aggregation, evaluation); default replay settings, 3 rules per app, no database unless --database',
          'repeat: the same recording again, its aggregation read from the cache; bare JSON.parse: the same lines, already decompressed and cut, on one core (json-parse-lines.ts)',
          'CPU: the whole process, its main thread, its aggregation thread and its scanner thread (the rest: decompression, GC and compiler threads); the split is of sampled CPU (node --cpu-prof, all threads, idle left out)',
          `peak RSS: the replay's process and its children (an embedded database's too), sampled every 25 ms; npm run replay: the bundled spike, first without its cache`,
        ],
        columns: ['measure', 'split shape', 'combined shape', 'target', 'verdict'],
        rows,
        target: {
          text: `split shape: first replay <= ${TARGET_FIRST}x and repeat <= ${TARGET_REPEAT}x bare JSON.parse, peak RSS <= ${TARGET_RSS_MIB} MiB; npm run replay: first output <= 1 s, done <= 1.5 s`,
          pass,
        },
      };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
  ['apps', 'hours', 'database', 'profile'],
);
