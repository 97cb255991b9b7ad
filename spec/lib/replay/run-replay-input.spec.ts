import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { silentLogger } from '../../../lib/adapters/log/logger.ts';
import type { Envelope } from '../../../lib/core/model/envelope.ts';
import { encodeEnvelopeLine } from '../../../lib/core/envelope/envelope-json.ts';
import { isRecordingError } from '../../../lib/tools/recording/recording-error.ts';
import { parsePolicyFile } from '../../../lib/replay/replay-policies.ts';
import { DEFAULT_REPLAY_SETTINGS } from '../../../pipelines/graph/replay-settings.ts';
import type { ReplaySettings } from '../../../pipelines/graph/replay-settings.ts';
import { runReplay } from '../../../lib/replay/run-replay.ts';
import type { ReplayOptions } from '../../../lib/replay/run-replay.ts';
import { openTestDatabase } from '../../support/database.ts';

const S = 1_000_000_000n;
const T0 = 1_731_578_400n * S;
const settings: ReplaySettings = {
  ...DEFAULT_REPLAY_SETTINGS,
  aggregatorIntervalMs: 10_000,
  statWindowSecs: 60,
  defaultBreachDurationSecs: 60,
};
const cpu = (app: string, at: bigint, value: number): Envelope => ({
  timestamp: at,
  sourceId: app,
  instanceId: '0',
  tags: { app_name: `${app}-name` },
  gauge: { cpu: { unit: 'percentage', value } },
});
const policy =
  '{"instance_min_count":1,"instance_max_count":3,"scaling_rules":[{"metric_type":"cpu","threshold":80,"operator":">","cool_down_secs":60,"adjustment":"+1"}]}';

let db: Awaited<ReturnType<typeof openTestDatabase>>;
let dir: string;

const recording = async (lines: string[]): Promise<string> => {
  const path = join(dir, `r${Math.random().toString(36).slice(2)}.ndjson`);
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
};

const replay = async (path: string, policyText: string, extra: Partial<ReplayOptions> = {}) => {
  const parsed = parsePolicyFile(policyText);
  if (!parsed.ok) throw new Error(parsed.reason);
  return runReplay({
    recording: path,
    policies: parsed.policies,
    database: db,
    settings,
    logger: silentLogger(),
    // Input handling, not load: each value as recorded.
    loadModel: 'recorded',
    ...extra,
  });
};

/** 3 minutes of one cpu gauge every 5 s for each app. */
const steady = (apps: string[], value: number) => {
  const lines: string[] = [];
  for (let s = 0n; s < 180n; s += 5n)
    for (const app of apps) lines.push(encodeEnvelopeLine(cpu(app, T0 + s * S, value)));
  return lines;
};

// ---
const input = suite('runReplay input handling');
input.before(async () => {
  db = await openTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'replay-input-'));
});
input.after(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

input('skips bad lines, reporting each with its line number, and replays the rest', async () => {
  const lines = steady(['app-bad-lines'], 90);
  lines.splice(3, 0, '{"timestamp":', JSON.stringify({ timestamp: '12', gauge: { metrics: {} } }));
  const result = await replay(await recording(lines), policy);
  assert.equal(
    result.issues.map((i) => i.line),
    [4, 5],
  );
  assert.match(result.issues[0]!.reason, /^not valid JSON/);
  assert.is(result.issues[1]!.reason, 'source_id is missing');
  assert.is(result.envelopes, 36);
  assert.equal(
    result.events.map((e) => [e.before, e.after]),
    [
      [1, 2],
      [2, 3],
    ],
  );
});

input('stops at the first bad line in strict mode', async () => {
  const lines = steady(['app-strict'], 90);
  lines.splice(10, 0, '[]');
  try {
    await replay(await recording(lines), policy, { strict: true });
    assert.unreachable('should have failed');
  } catch (err) {
    assert.ok(isRecordingError(err));
    assert.match((err as Error).message, /line 11: expected one envelope object per line, got an array$/);
  }
});

input('fails on a corrupt compressed recording, naming the line reached, and on a missing one', async () => {
  const text = `${steady(['app-corrupt'], 50).join('\n')}\n`;
  const zipped = gzipSync(text);
  const path = join(dir, 'corrupt.ndjson.gz');
  // Cut short: the lines before the cut inflate, then the stream ends too soon.
  await writeFile(path, zipped.subarray(0, Math.floor(zipped.length * 0.6)));
  for (const [file, reason] of [
    [path, /corrupt gzip data after line (\d+)$/],
    [join(dir, 'absent.ndjson'), /cannot open recording .*absent\.ndjson: ENOENT$/],
  ] as const) {
    try {
      await replay(file, policy);
      assert.unreachable('should have failed');
    } catch (err) {
      assert.ok(isRecordingError(err), String(err));
      const match = reason.exec((err as Error).message);
      assert.ok(match, (err as Error).message);
      if (match[1] !== undefined) assert.is((err as { line?: number }).line, Number(match[1]));
    }
  }
});

input('delivers an envelope older than the clock late and counts it', async () => {
  const lines = steady(['app-late'], 50);
  const old = lines.splice(20, 1)[0]!;
  lines.splice(30, 0, old);
  const result = await replay(await recording(lines), policy);
  assert.is(result.lateEnvelopes, 1);
  assert.is(result.envelopes, 36);
});

input('evaluates only the apps of a per-app policy file and lists the other sources', async () => {
  const result = await replay(await recording(steady(['app-covered', 'app-other'], 90)), `{"app-covered":${policy}}`);
  assert.equal([...result.policies.keys()], ['app-covered']);
  assert.equal(result.unmatchedSources, ['app-other']);
  assert.equal(
    result.series.map((s) => s.appId),
    ['app-covered'],
  );
  assert.is(result.appNames.get('app-other'), 'app-other-name');
  assert.ok(result.events.every((e) => e.trigger.appId === 'app-covered'));
});

input('applies a shared policy to every app and the initial instance count to each', async () => {
  const result = await replay(await recording(steady(['app-x', 'app-y'], 90)), policy, { initialInstances: 2 });
  assert.equal([...result.policies.keys()], ['app-x', 'app-y']);
  assert.equal(
    result.events.filter((e) => e.result.status === 0).map((e) => [e.trigger.appId, e.before, e.after]),
    [
      ['app-x', 2, 3],
      ['app-y', 2, 3],
    ],
  );
});

input('returns an empty result for a recording without envelopes', async () => {
  const result = await replay(await recording(['', 'not json']), policy);
  assert.equal([result.envelopes, result.issueCount, result.startNs, result.decisions.length], [0, 1, 0n, 0]);
});

input('paces a replay at the chosen speed', async () => {
  const lines = [0n, 2n, 4n].map((s) => encodeEnvelopeLine(cpu('app-paced', T0 + s * S, 10)));
  const path = await recording(lines);
  const quick = { ...settings, aggregatorIntervalMs: 1000 };
  const parsed = parsePolicyFile(policy);
  if (!parsed.ok) throw new Error(parsed.reason);
  const started = Date.now();
  const result = await runReplay({
    recording: path,
    policies: parsed.policies,
    database: db,
    settings: quick,
    logger: silentLogger(),
    speed: 4,
  });
  const elapsed = Date.now() - started;
  // 4 s of recording plus one 1 s interval at 4x is about 1.25 s of wall time.
  assert.ok(elapsed >= 1150, `took only ${elapsed} ms`);
  assert.is(result.series[0]!.points.length, 5);
});

input.run();
