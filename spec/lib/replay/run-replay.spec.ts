import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from '../../../lib/core/json/bigint-json.ts';
import { silentLogger } from '../../../lib/adapters/log/logger.ts';
import { formatOffset } from '../../../lib/tools/report/format-time.ts';
import { replayRows } from '../../../lib/replay/replay-report.ts';
import { parsePolicyFile } from '../../../lib/replay/replay-policies.ts';
import type { ReplayPolicies } from '../../../lib/replay/replay-policies.ts';
import { DEFAULT_REPLAY_SETTINGS } from '../../../pipelines/graph/replay-settings.ts';
import { runReplay } from '../../../lib/replay/run-replay.ts';
import type { ReplayResult } from '../../../lib/replay/run-replay.ts';
import type { LoadModelName } from '../../../lib/replay/load-model.ts';
import { openTestDatabase } from '../../support/database.ts';

const recordings = join(import.meta.dirname, '..', '..', '..', 'recordings');

const policiesOf = async (name: string): Promise<ReplayPolicies> => {
  const parsed = parsePolicyFile(await readFile(join(recordings, name, 'policy.json'), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.policies;
};

const replaySample = async (
  name: string,
  db: Awaited<ReturnType<typeof openTestDatabase>>,
  loadModel: LoadModelName = 'recorded',
): Promise<ReplayResult> =>
  runReplay({
    recording: join(recordings, name, 'recording.ndjson.gz'),
    policies: await policiesOf(name),
    database: db,
    settings: DEFAULT_REPLAY_SETTINGS,
    logger: silentLogger(),
    loadModel,
  });

/** [offset from the start, rule, newest value, instances] of each scaling event. */
const scaled = (result: ReplayResult) =>
  replayRows(result)
    .filter((r) => r.status === 0)
    .map((r) => [formatOffset(r.at, result.startNs), r.rule, r.value, `${r.before}->${r.after}`]);

const ignored = (result: ReplayResult) => {
  const counts: Record<string, number> = {};
  for (const r of replayRows(result)) if (r.status !== 0) counts[r.reason] = (counts[r.reason] ?? 0) + 1;
  return counts;
};

let db: Awaited<ReturnType<typeof openTestDatabase>>;

// ---
// Under `--load-model recorded` (the behaviour before the shared model): every value as recorded.
// Expected events are derived from each sample's load and policy (see recordings/README.md): the
// app metric is the mean of the last 120 s of gauges at each 40 s tick, a rule breaches when every
// metric of its breach window passes, and the simulated engine applies cooldown and the bounds.
const samples = suite('runReplay on the bundled samples');
samples.before(async () => {
  db = await openTestDatabase();
});
samples.after(async () => {
  await db.close();
});

samples('spike: +2 twice during the cpu spike, then -1 every cooldown back to the minimum', async () => {
  const result = await replaySample('spike', db);
  assert.equal(scaled(result), [
    ['+18m00s', 'cpu > 70 for 120s: +2', '90%', '2->4'],
    ['+23m20s', 'cpu > 70 for 120s: +2', '90%', '4->6'],
    ['+33m20s', 'cpu < 30 for 300s: -1', '24%', '6->5'],
    ['+38m40s', 'cpu < 30 for 300s: -1', '24%', '5->4'],
    ['+44m00s', 'cpu < 30 for 300s: -1', '24%', '4->3'],
    ['+49m20s', 'cpu < 30 for 300s: -1', '24%', '3->2'],
  ]);
  assert.equal(ignored(result), { 'instance count at minimum': 15 });
  assert.is(result.envelopes, 3960);
  assert.is(result.issueCount, 0);
});

samples('slow-ramp: +1 per cooldown once memory passes 600 MB, until the maximum', async () => {
  const result = await replaySample('slow-ramp', db);
  assert.equal(scaled(result), [
    ['+32m40s', 'memoryused > 600 for 120s: +1', '621 MB', '2->3'],
    ['+38m00s', 'memoryused > 600 for 120s: +1', '674 MB', '3->4'],
    ['+43m20s', 'memoryused > 600 for 120s: +1', '727 MB', '4->5'],
  ]);
  assert.equal(ignored(result), { 'instance count at maximum': 33 });
});

samples('flapping: one step out in every high phase and one step in in every low phase', async () => {
  const result = await replaySample('flapping', db);
  const up = ['memoryutil > 80 for 120s: +1', '2->3'];
  const down = ['memoryutil < 50 for 120s: -1', '3->2'];
  assert.equal(
    scaled(result).map(([at, rule, , n]) => [at, rule, n]),
    [
      ['+8m40s', ...up],
      ['+14m00s', ...down],
      ['+18m40s', ...up],
      ['+24m00s', ...down],
      ['+28m40s', ...up],
      ['+34m00s', ...down],
      ['+38m40s', ...up],
      ['+44m00s', ...down],
      ['+48m40s', ...up],
    ],
  );
  assert.equal(ignored(result), { 'instance count at minimum': 3 });
});

samples('quiet: no rule ever breaches, so the engine is never called', async () => {
  const result = await replaySample('quiet', db);
  assert.equal(replayRows(result), []);
  assert.ok(result.decisions.some((d) => d.kind === 'no-breach'));
  assert.not.ok(result.decisions.some((d) => d.kind === 'breach'));
  assert.equal(result.series.map((s) => s.metricType).sort(), ['cpu', 'memoryused']);
});

samples('custom-metrics: the queue scales out to the maximum and back to the minimum', async () => {
  const result = await replaySample('custom-metrics', db);
  assert.equal(scaled(result), [
    ['+12m40s', 'queue_length > 100 for 60s: +1', '114 jobs', '2->3'],
    ['+14m40s', 'queue_length > 100 for 60s: +1', '144 jobs', '3->4'],
    ['+16m40s', 'queue_length > 100 for 60s: +1', '174 jobs', '4->5'],
    ['+38m00s', 'queue_length < 20 for 120s: -1', '6 jobs', '5->4'],
    ['+40m00s', 'queue_length < 20 for 120s: -1', '5 jobs', '4->3'],
    ['+42m00s', 'queue_length < 20 for 120s: -1', '6 jobs', '3->2'],
  ]);
  assert.equal(ignored(result), { 'instance count at minimum': 8, 'instance count at maximum': 20 });
});

samples('http-throughput: throughput from the Client timers scales out and back in', async () => {
  const result = await replaySample('http-throughput', db);
  assert.equal(scaled(result), [
    ['+10m40s', 'throughput > 2 for 120s: +1', '3 rps', '2->3'],
    ['+14m00s', 'throughput > 2 for 120s: +1', '4 rps', '3->4'],
    ['+26m00s', 'throughput <= 1 for 180s: -1', '1 rps', '4->3'],
    ['+29m20s', 'throughput <= 1 for 180s: -1', '1 rps', '3->2'],
  ]);
  assert.equal(ignored(result), { 'instance count at minimum': 4, 'instance count at maximum': 8 });
  assert.ok(Math.max(...result.series[0]!.points.map((p) => p[1] ?? 0)) <= 5, 'Server legs are not counted');
});

// Under `--load-model shared` (the default): cpu and throughput are the recorded total spread over
// the simulated instances, so a scale-out lowers the per-instance value the next rule sees.
samples('shared load: the spike scales out once, as cpu per instance halves on 4 instances', async () => {
  const result = await replaySample('spike', db, 'shared');
  assert.is(result.loadModel, 'shared');
  assert.equal(scaled(result), [
    ['+18m00s', 'cpu > 70 for 120s: +2', '90%', '2->4'],
    ['+32m40s', 'cpu < 30 for 300s: -1', '12%', '4->3'],
    ['+38m00s', 'cpu < 30 for 300s: -1', '16%', '3->2'],
  ]);
  assert.equal(ignored(result), { 'instance count at minimum': 32 });
  // At +23m20s the recorded mean is 90 % on 2 instances: 45 % on the 4 simulated ones.
  const points = result.series[0]!.points;
  const at = (offsetSecs: number) =>
    points.find(([t]) => t === Number(result.startNs / 1_000_000n) + offsetSecs * 1000)?.[1];
  assert.is(at(23 * 60 + 20), 45);
});

samples('shared load: memory and custom metrics stay as recorded, so their lists do not change', async () => {
  for (const name of ['slow-ramp', 'flapping', 'custom-metrics', 'quiet']) {
    const recorded = await replaySample(name, db, 'recorded');
    const shared = await replaySample(name, db, 'shared');
    assert.equal(scaled(shared), scaled(recorded), name);
    assert.equal(ignored(shared), ignored(recorded), name);
  }
});

samples('shared load: throughput per instance falls as instances are added', async () => {
  const result = await replaySample('http-throughput', db, 'shared');
  assert.equal(scaled(result), [
    ['+10m40s', 'throughput > 2 for 120s: +1', '3 rps', '2->3'],
    ['+14m00s', 'throughput > 2 for 120s: +1', '3 rps', '3->4'],
    ['+25m20s', 'throughput <= 1 for 180s: -1', '1 rps', '4->3'],
    ['+28m40s', 'throughput <= 1 for 180s: -1', '1 rps', '3->2'],
  ]);
  assert.equal(ignored(result), { 'instance count at minimum': 4 });
});

samples('writes every app metric to the database, and reads history from memory while the cache is young', async () => {
  await db.sql`DELETE FROM app_metric`;
  const result = await replaySample('quiet', db);
  const rows = await db.sql`SELECT count(*)::int AS n FROM app_metric`;
  const metrics = result.series.reduce((n, s) => n + s.points.length, 0);
  assert.is(rows[0]?.n, metrics);
  assert.equal(result.database, {
    queued: 0,
    written: metrics,
    rejected: 0,
    failures: 0,
    failedRows: 0,
    unconfirmed: 0,
  });
  assert.ok(result.reads > 0, 'evaluations before the cache covers the query window read the store');
});

samples('replaying a recording twice gives byte-identical decisions', async () => {
  const runs: string[] = [];
  for (let i = 0; i < 2; i += 1) {
    // Each run starts from an empty table, as a fresh embedded database would.
    await db.sql`DELETE FROM app_metric`;
    const result = await replaySample('http-throughput', db);
    runs.push(stringify({ decisions: result.decisions, events: result.events }));
  }
  assert.ok(runs[0]!.length > 10_000);
  assert.ok(runs[0] === runs[1], 'decision lists differ between runs');
});

samples.run();
