/**
 * Policy lab: the replay benchmark's recording (24 h, 100 apps) swept over 50 candidate policies in
 * one run, against the same lab with the base policy alone, side by side in one process. The
 * recording is read, parsed and aggregated once either way; the ratio says what the other 49
 * candidates cost.
 * Usage: node scripts/bench/policy-lab.ts [--quick] [--apps N] [--hours H] [--candidates 50]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDatabase } from '../../lib/adapters/db/connect.ts';
import { silentLogger } from '../../lib/adapters/log/logger.ts';
import { runPolicyLab } from '../../lib/replay/policy-lab.ts';
import type { LabResult } from '../../lib/replay/policy-lab.ts';
import { buildCandidates, parseVariation } from '../../lib/replay/vary.ts';
import { DEFAULT_REPLAY_SETTINGS } from '../../pipelines/graph/replay-settings.ts';
import { BENCH_POLICY, INSTANCES, PERIOD_SECS, writeBenchRecording } from './replay-recording.ts';
import { count, ratio, runBench, seconds, verdict } from './table.ts';
import type { BenchTable } from './table.ts';

const TARGET_RATIO = 3;
const COOLDOWNS = [120, 180, 240, 300, 360];

/** Thresholds around the base's 30 and cooldowns around its 300 s: `candidates` in all, the base among them. */
const variations = (candidates: number) => {
  const thresholds = Math.ceil(candidates / COOLDOWNS.length);
  return [
    `scaling_rules[0].threshold=${Array.from({ length: thresholds }, (_v, i) => 30 - Math.floor(thresholds / 2) + i).join(',')}`,
    `scaling_rules[0].cool_down_secs=${COOLDOWNS.join(',')}`,
  ].map(parseVariation);
};

const lab = async (
  recording: string,
  vary: ReturnType<typeof variations>,
): Promise<{ wallMs: number; result: LabResult }> => {
  const database = await connectDatabase({});
  try {
    const started = Date.now();
    const result = await runPolicyLab({
      recording,
      candidates: buildCandidates({ kind: 'shared', text: BENCH_POLICY }, vary),
      database,
      settings: DEFAULT_REPLAY_SETTINGS,
      logger: silentLogger(),
    });
    return { wallMs: Date.now() - started, result };
  } finally {
    await database.close();
  }
};

runBench(
  async ({ quick, values }): Promise<BenchTable> => {
    const apps = Number(values.apps ?? (quick ? 5 : 100));
    const hours = Number(values.hours ?? (quick ? 1 : 24));
    const wanted = Number(values.candidates ?? 50);
    if (![apps, hours, wanted].every((n) => Number.isInteger(n) && n > 0))
      throw new Error(`--apps, --hours and --candidates must be positive integers, got ${apps}, ${hours}, ${wanted}`);
    const dir = await mkdtemp(join(tmpdir(), 'eg-bench-lab-'));
    try {
      const recording = join(dir, 'recording.ndjson');
      const written = await writeBenchRecording(recording, apps, hours, 'zstd');
      // The single run before and after the sweep, the faster counting: neither side pays for warm-up alone.
      const first = await lab(recording, []);
      const many = await lab(recording, variations(wanted));
      const again = await lab(recording, []);
      const one = again.wallMs < first.wallMs ? again : first;
      const candidates = many.result.candidates.length;
      const r = many.wallMs / one.wallMs;
      const pass = r <= TARGET_RATIO;
      const metrics = many.result.replay.series.reduce((n, s) => n + s.points.length, 0);
      return {
        title: 'Policy lab (50 candidates over 24 h of envelopes for 100 apps)',
        notes: [
          `${count(apps)} apps x ${INSTANCES} instances, container gauges every ${PERIOD_SECS} s, ${hours} h: ${count(written)} envelopes (the replay benchmark's recording)`,
          `candidates: the base policy and the product of ${many.result.candidates.length > 1 ? 'thresholds around 30 and cooldowns 120-360 s' : 'nothing'} on its first rule; load model shared; embedded database`,
          'the single run is timed before and after the sweep, and the faster of the two is used',
          'timed: the whole lab as `replay --vary` runs it (reading, parsing, aggregation, persistence and evaluation of the base, every candidate, the report runs); not timed: writing the recording, opening the database',
        ],
        columns: ['run', 'candidates', 'wall time', 'vs one candidate', 'target'],
        rows: [
          [
            'one candidate (the base policy)',
            count(one.result.candidates.length),
            seconds(one.wallMs / 1000),
            ratio(1),
            '',
          ],
          [`sweep`, count(candidates), seconds(many.wallMs / 1000), ratio(r), verdict(pass)],
          ['app metrics aggregated (once per run)', count(metrics), '', '', ''],
        ],
        target: { text: `${candidates} candidates in at most ${TARGET_RATIO}x the wall time of one`, pass },
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  ['apps', 'hours', 'candidates'],
);
