import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../lib/adapters/log/logger.ts';
import { stringify } from '../../../lib/core/json/bigint-json.ts';
import { renderLabJson, renderLabTable } from '../../../lib/replay/lab-output.ts';
import { renderLabReport } from '../../../lib/replay/lab-report.ts';
import type { LoadModelName } from '../../../lib/replay/load-model.ts';
import { runPolicyLab } from '../../../lib/replay/policy-lab.ts';
import type { LabResult } from '../../../lib/replay/policy-lab.ts';
import { parsePressure } from '../../../lib/replay/pressure.ts';
import { parsePolicyFile } from '../../../lib/replay/replay-policies.ts';
import { buildCandidates, describeChanges, parseVariation } from '../../../lib/replay/vary.ts';
import { evaluateCandidate } from '../../../lib/replay/evaluate-candidate.ts';
import type { Screening } from '../../../lib/replay/evaluate-candidate.ts';
import { policyFor } from '../../../lib/replay/replay-policies.ts';
import type { Decision } from '../../../lib/core/model/decision.ts';
import type { ScalingEvent } from '../../../lib/tools/simulation/scaling-engine-model.ts';
import { containerLoad } from '../../../lib/tools/recording/samples/container-load.ts';
import { MIB } from '../../../lib/tools/recording/samples/envelope-builders.ts';
import { generateSample } from '../../../lib/tools/recording/samples/generate-sample.ts';
import { createPrng, profile } from '../../../lib/tools/recording/samples/prng.ts';
import type { SampleDefinition, StoredRule } from '../../../lib/tools/recording/samples/sample-catalog.ts';
import { DEFAULT_REPLAY_SETTINGS } from '../../../pipelines/graph/replay-settings.ts';
import { openTestDatabase } from '../../support/database.ts';

const MINUTE = 60;
/** 2024-11-14T10:00:00Z, the time base of the bundled samples. */
const SAMPLE_START = 1_731_578_400_000_000_000n;
const recordings = join(import.meta.dirname, '..', '..', '..', 'recordings');

const rule = (
  metric_type: string,
  operator: StoredRule['operator'],
  threshold: number,
  adjustment: string,
  breach_duration_secs: number,
  cool_down_secs: number,
): StoredRule => ({ metric_type, breach_duration_secs, threshold, operator, cool_down_secs, adjustment });

const app = (name: string) => {
  const rng = createPrng(7);
  return { appId: rng.guid(), appName: name, instanceGuids: [rng.guid().slice(0, 28), rng.guid().slice(0, 28)] };
};

/**
 * A step load: cpu 30 % per instance on 2 instances, then 75 % from minute 10 to the end (an hour).
 * A threshold of 80 never sees a value above it, so the app stays on 2 instances and cpu stays above
 * 70 for 50 minutes; a threshold of 60 scales out within minutes, and on 3 instances the shared
 * total (150 %) is 50 % each, below 70.
 */
const stepLoad: SampleDefinition = {
  name: 'step',
  description: 'cpu steps from 30 % to 75 % per instance at minute 10',
  seed: 11,
  policy: { instance_min_count: 2, instance_max_count: 4, scaling_rules: [rule('cpu', '>', 80, '+1', 120, 300)] },
  build: (rng) => {
    const cpu = profile([
      [0, 30],
      [10 * MINUTE, 30],
      [10 * MINUTE + 1, 75],
    ]);
    return containerLoad(
      {
        app: app('step-web'),
        start: SAMPLE_START,
        durationSecs: 60 * MINUTE,
        shape: 'combined',
        cpu: (s) => cpu(s) + rng.noise(1),
        memory: () => 300 * MIB,
      },
      rng,
    );
  },
};

/**
 * A flapping load: memory 40 % and 90 % of the quota in turns of 5 minutes, for an hour. Memory does
 * not follow the instance count, so every scale-out is followed by a scale-in at the next low turn,
 * unless the cooldowns of both rules are longer than the turns: only 20-minute cooldowns on both
 * rules keep every reversal more than the 10-minute flap window apart.
 */
const flappingLoad: SampleDefinition = {
  name: 'flap',
  description: 'memory 40 % / 90 % in turns of 5 minutes',
  seed: 12,
  policy: {
    instance_min_count: 2,
    instance_max_count: 4,
    scaling_rules: [rule('memoryutil', '>', 80, '+1', 120, 120), rule('memoryutil', '<', 50, '-1', 120, 120)],
  },
  build: (rng) =>
    containerLoad(
      {
        app: app('flap-api'),
        start: SAMPLE_START,
        durationSecs: 60 * MINUTE,
        shape: 'combined',
        cpu: () => 20 + rng.noise(1),
        memory: (s) => (Math.floor(s / (5 * MINUTE)) % 2 === 1 ? 0.9 : 0.4) * 1024 * MIB,
      },
      rng,
    ),
};

let dir: string;
let db: Awaited<ReturnType<typeof openTestDatabase>>;

const lab = async (
  recording: string,
  policyText: string,
  vary: string[],
  extra: { pressure?: string[]; maxPressureSecs?: number; flapWindowSecs?: number; loadModel?: LoadModelName } = {},
): Promise<LabResult> => {
  const parsed = parsePolicyFile(policyText);
  if (!parsed.ok) throw new Error(parsed.reason);
  await db.sql`DELETE FROM app_metric`;
  return runPolicyLab({
    recording,
    candidates: buildCandidates(parsed.policies, vary.map(parseVariation)),
    database: db,
    settings: DEFAULT_REPLAY_SETTINGS,
    logger: silentLogger(),
    pressure: extra.pressure?.map(parsePressure),
    maxPressureSecs: extra.maxPressureSecs,
    flapWindowSecs: extra.flapWindowSecs,
    loadModel: extra.loadModel ?? 'shared',
  });
};

const generated = async (definition: SampleDefinition) => {
  const sample = await generateSample(definition, dir);
  return { recording: sample.recording, policy: await readFile(sample.policy, 'utf8') };
};

const scoresOf = (result: LabResult) =>
  result.candidates.map((c) => [c.candidate.changes, c.scores.scaleOuts, c.scores.scaleIns, c.scores.flaps, c.front]);

const specs = suite('policy lab');
specs.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'policy-lab-'));
  db = await openTestDatabase();
});
specs.after(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

specs('step load: threshold 60 scales in time, 80 does not; 60 is recommended under a 3-minute limit', async () => {
  const { recording, policy } = await generated(stepLoad);
  const result = await lab(recording, policy, ['scaling_rules[0].threshold=60,80'], {
    pressure: ['cpu>70'],
    maxPressureSecs: 180,
  });
  // The base (80) is candidate 0; 80 again is not repeated.
  assert.equal(scoresOf(result), [
    [{}, 0, 0, 0, true],
    [{ 'scaling_rules[0].threshold': '60' }, 1, 0, 0, true],
  ]);
  const [base, sixty] = result.candidates.map((c) => c.scores);
  assert.ok(base!.pressureSecs >= 45 * MINUTE, `80 leaves cpu above 70 for most of 50 minutes: ${base!.pressureSecs}`);
  assert.ok(sixty!.pressureSecs <= 180, `60 scales out before 3 minutes above 70: ${sixty!.pressureSecs}`);
  assert.ok(sixty!.instanceHours > base!.instanceHours, 'the third instance costs');
  const hours = Number((result.replay.endNs - result.replay.startNs) / 1_000_000n) / 3_600_000;
  assert.is(base!.instanceHours, Math.floor(2 * hours * 1000) / 1000, '2 instances all along');
  if (process.env.SHOW_LAB) process.stdout.write(renderLabTable(result, 'step'));
  assert.is(result.recommended, 1);
  assert.match(
    result.why,
    /^#1 \(scaling_rules\[0\]\.threshold=60\) is the cheapest candidate on the cost\/pressure front/,
  );
  assert.match(result.why, /within 3m00s \(--max-pressure\)/);

  // Without a limit, the base policy's own pressure is the limit: the cheaper base is recommended.
  const lax = await lab(recording, policy, ['scaling_rules[0].threshold=60,80'], { pressure: ['cpu>70'] });
  assert.is(lax.recommended, 0);
  assert.match(lax.why, /the base policy's own/);
});

specs('step load under the recorded model: cpu stays at 75 after the scale-out, so pressure does not end', async () => {
  const { recording, policy } = await generated(stepLoad);
  const result = await lab(recording, policy, ['scaling_rules[0].threshold=60'], {
    pressure: ['cpu>70'],
    loadModel: 'recorded',
  });
  const [base, sixty] = result.candidates.map((c) => c.scores);
  assert.is(sixty!.scaleOuts, 2, 'the recorded 75 % breaches again on 3 instances, up to the maximum');
  assert.is(sixty!.pressureSecs, base!.pressureSecs, 'recorded values do not respond to instances');
});

specs('flapping load: only long cooldowns on both rules avoid flaps', async () => {
  const { recording, policy } = await generated(flappingLoad);
  const result = await lab(
    recording,
    policy,
    ['scaling_rules[0].cool_down_secs=120,1200', 'scaling_rules[1].cool_down_secs=120,1200'],
    { flapWindowSecs: 600 },
  );
  if (process.env.SHOW_LAB) process.stdout.write(renderLabTable(result, 'flap'));
  const flaps = result.candidates.map((c) => [c.candidate.changes, c.scores.flaps > 0]);
  assert.equal(flaps, [
    [{}, true],
    [{ 'scaling_rules[0].cool_down_secs': '120', 'scaling_rules[1].cool_down_secs': '1200' }, true],
    [{ 'scaling_rules[0].cool_down_secs': '1200', 'scaling_rules[1].cool_down_secs': '120' }, true],
    [{ 'scaling_rules[0].cool_down_secs': '1200', 'scaling_rules[1].cool_down_secs': '1200' }, false],
  ]);
  assert.ok(result.candidates[0]!.scores.flaps >= 8, `a flap every turn: ${result.candidates[0]!.scores.flaps}`);
  // Memory does not follow instances: every candidate spends the high turns under pressure alike.
  const pressure = new Set(result.candidates.map((c) => c.scores.pressureSecs));
  assert.is(pressure.size, 1);
  // With equal pressure the front is the cheapest candidate(s), and the recommendation is on it.
  const cheapest = Math.min(...result.candidates.map((c) => c.scores.instanceHours));
  assert.equal(
    result.candidates.map((c) => c.front),
    result.candidates.map((c) => c.scores.instanceHours === cheapest),
  );
  assert.ok(result.candidates[result.recommended]!.front);
});

specs('each candidate is evaluated exactly as a full replay of it would scale', async () => {
  for (const name of ['spike', 'flapping', 'custom-metrics', 'http-throughput']) {
    for (const loadModel of ['shared', 'recorded'] as const) {
      const policy = await readFile(join(recordings, name, 'policy.json'), 'utf8');
      const result = await lab(join(recordings, name, 'recording.ndjson.gz'), policy, [], { loadModel });
      assert.is(
        stringify(result.detail.base.events),
        stringify(result.replay.events),
        `${name} ${loadModel}: the lab's evaluation of the base policy scales as the replay did`,
      );
      assert.is(
        stringify(result.detail.base.events),
        stringify(result.detail.recommended.events),
        `${name}: one candidate is its own recommendation`,
      );
    }
  }
});

specs('screening changes no scaling event: every candidate scales the same with and without it', async () => {
  for (const [name, vary] of [
    ['spike', ['scaling_rules[0].threshold=40,60,80', 'scaling_rules[1].breach_duration_secs=120,300']],
    ['http-throughput', ['scaling_rules[0].threshold=1,2,3', 'scaling_rules[1].cool_down_secs=60,600']],
    ['flapping', ['scaling_rules[0].cool_down_secs=60,600']],
  ] as const) {
    const policy = await readFile(join(recordings, name, 'policy.json'), 'utf8');
    const result = await lab(join(recordings, name, 'recording.ndjson.gz'), policy, [...vary]);
    assert.ok(result.candidates.length >= 3);
    for (const { candidate } of result.candidates) {
      const policies = new Map(
        [...result.replay.policies.keys()].map((appId) => [appId, policyFor(candidate.policies, appId)!] as const),
      );
      const run = (screening: Screening) =>
        evaluateCandidate({
          timeline: result.timeline,
          policies,
          loadModel: 'shared',
          settings: DEFAULT_REPLAY_SETTINGS,
          pressure: () => [],
          screening,
          detail: screening !== 'state',
        });
      const full = run('none');
      const scaled = (events: readonly ScalingEvent[]) => stringify(events.filter((e) => e.result.status === 0));
      assert.ok(full.events.length > 0, `${name}: the candidate calls the engine`);
      assert.is(stringify(run('breaches').events), stringify(full.events), `${name}: every call kept`);
      assert.is(scaled(run('state').events), scaled(full.events), `${name}: ${describeChanges(candidate.changes)}`);
      const breaches = (d: readonly Decision[]) =>
        stringify(d.filter((x) => x.kind === 'breach' || x.kind === 'scaling-call'));
      assert.is(
        breaches(run('breaches').decisions),
        breaches(full.decisions.filter((d) => d.kind !== 'cooldown-hold')),
      );
    }
  }
});

specs('the same inputs give the same table, JSON and report, byte for byte', async () => {
  const policy = await readFile(join(recordings, 'spike', 'policy.json'), 'utf8');
  const recording = join(recordings, 'spike', 'recording.ndjson.gz');
  const vary = ['scaling_rules[0].threshold=60,80', 'scaling_rules[1].cool_down_secs=120,600'];
  const outputs: string[][] = [];
  for (let i = 0; i < 2; i += 1) {
    const result = await lab(recording, policy, vary);
    outputs.push([renderLabTable(result, 'spike'), renderLabJson(result, recording), renderLabReport(result, 'spike')]);
  }
  assert.ok(outputs[0]![2]!.length > 10_000);
  for (let k = 0; k < 3; k += 1) assert.ok(outputs[0]![k] === outputs[1]![k], `output ${k} differs between runs`);
  const json = JSON.parse(outputs[0]![1]!) as {
    candidates: { policy: unknown; scores: unknown }[];
    recommended: number;
  };
  assert.is(json.candidates.length, 5);
  assert.ok(json.recommended >= 0 && json.recommended < 5);
  assert.ok(json.candidates.every((c) => typeof c.policy === 'object' && typeof c.scores === 'object'));
  assert.match(outputs[0]![0]!, /^> *\*? +\d+ /m);
  assert.match(outputs[0]![2]!, /<svg class="scatter"/);
});

specs.run();
