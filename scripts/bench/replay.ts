/**
 * Replay: 24 hours of container gauges for 100 apps (2 instances each, every 30 s, combined shape)
 * written to a temporary recording (zstd, or --compression gzip|none), then replayed through
 * runReplay in virtual time against the embedded database (or --database-url). Only the replay is timed.
 * Usage: node scripts/bench/replay.ts [--quick] [--database-url postgres://…] [--apps N] [--hours H] [--compression zstd|gzip|none]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDatabase } from '../../lib/adapters/db/connect.ts';
import { silentLogger } from '../../lib/adapters/log/logger.ts';
import type { RecordingCompression } from '../../lib/tools/recording/read-recording-lines.ts';
import { DEFAULT_REPLAY_SETTINGS } from '../../pipelines/graph/replay-settings.ts';
import { runReplay } from '../../lib/replay/run-replay.ts';
import { cpuSince, sampleCpu } from './cpu-time.ts';
import { NS_PER_SECOND } from './synthetic-apps.ts';
import {
  BENCH_POLICY as POLICY,
  INSTANCES,
  PERIOD_SECS,
  writeBenchRecording as writeRecording,
} from './replay-recording.ts';
import { count, mib, perSecond, ratio, runBench, seconds, verdict } from './table.ts';
import type { BenchTable } from './table.ts';

const TARGET_SECS = 10;
runBench(
  async ({ quick, values }): Promise<BenchTable> => {
    const apps = Number(values.apps ?? (quick ? 5 : 100));
    const hours = Number(values.hours ?? (quick ? 1 : 24));
    if (!(Number.isInteger(apps) && apps > 0 && Number.isInteger(hours) && hours > 0))
      throw new Error(`--apps and --hours must be positive integers, got ${values.apps} and ${values.hours}`);
    const compression = (values.compression ?? 'zstd') as RecordingCompression;
    if (!['zstd', 'gzip', 'none'].includes(compression))
      throw new Error(`--compression must be zstd, gzip or none, got ${compression}`);
    const dir = await mkdtemp(join(tmpdir(), 'eg-bench-replay-'));
    const url = values['database-url'] as string | undefined;
    // A given server is used inside a schema of its own, dropped afterwards.
    const schema = `eg_bench_${randomBytes(6).toString('hex')}`;
    const database = await connectDatabase(url ? { url, schema, applySchema: true } : {});
    try {
      const recording = join(dir, 'recording.ndjson');
      const written = await writeRecording(recording, apps, hours, compression);
      const size = (await stat(recording)).size;

      const cpuStart = sampleCpu();
      const result = await runReplay({
        recording,
        policies: { kind: 'shared', text: POLICY },
        database,
        settings: DEFAULT_REPLAY_SETTINGS,
        logger: silentLogger(),
        keep: (d) => d.kind === 'scaling-result',
      });
      const cpu = cpuSince(cpuStart);
      if (result.envelopes !== written)
        throw new Error(`the replay delivered ${result.envelopes} of ${written} envelopes`);
      if (result.issueCount > 0)
        throw new Error(`the replay found ${result.issueCount} bad line(s), e.g. ${result.issues[0]?.reason}`);
      const metrics = result.series.reduce((n, s) => n + s.points.length, 0);
      const wallSecs = result.wallMs / 1000;
      const virtualSecs = Number((result.endNs - result.startNs) / NS_PER_SECOND);
      const pass = wallSecs < TARGET_SECS;
      return {
        title: 'Replay (24 h of envelopes for 100 apps)',
        notes: [
          `${count(apps)} apps x ${INSTANCES} instances, container gauges every ${PERIOD_SECS} s in the combined (RLP) shape, ${hours} h: ${count(written)} envelopes, ${compression} ${mib(size)}`,
          `runReplay with the default replay settings (aggregation every 40 s, stat window 120 s, cache 300), 3 rules per app, ${url ? 'the given PostgreSQL (private schema)' : 'the embedded database'}`,
          `timed: reading and decompressing the file, parsing, aggregation, cache, persistence and evaluation; not timed: writing the recording`,
          `reading, decompressing and parsing run on a worker thread; the embedded database in a process of its own; CPU rows give seconds and cores kept busy (CPU / wall)`,
        ],
        columns: ['measure', 'value', 'vs target', 'target'],
        rows: [
          ['envelopes replayed', count(result.envelopes), '', ''],
          ['virtual time covered', seconds(virtualSecs), '', ''],
          ['app metrics produced', count(metrics), '', ''],
          ['scaling calls answered', count(result.decisions.length), '', ''],
          ['throughput', perSecond(result.envelopes / wallSecs, 'env/s'), '', ''],
          ['speed-up over real time', ratio(virtualSecs / wallSecs), '', ''],
          ['main thread CPU', seconds(cpu.threadMs / 1000), ratio(cpu.threadMs / result.wallMs), ''],
          [
            'process CPU (reader thread, GC and I/O threads too)',
            seconds(cpu.processMs / 1000),
            ratio(cpu.processMs / result.wallMs),
            '',
          ],
          ...(cpu.machineBusyMs === undefined
            ? []
            : [
                [
                  'machine CPU, all cores (embedded database process too)',
                  seconds(cpu.machineBusyMs / 1000),
                  ratio(cpu.machineBusyMs / result.wallMs),
                  '',
                ],
              ]),
          ['wall time', seconds(wallSecs), ratio(wallSecs / TARGET_SECS), verdict(pass)],
        ],
        target: { text: `replay under ${TARGET_SECS} s`, pass },
      };
    } finally {
      if (url) await database.sql`DROP SCHEMA IF EXISTS ${database.sql(schema)} CASCADE`.catch(() => undefined);
      await database.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
  ['database-url', 'apps', 'hours', 'compression'],
);
