import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startScalingEngineServer, parseTriggerBody } from '../../../../lib/tools/simulation/scaling-engine-server.ts';
import type {
  ScalingEngineServer,
  ScalingEngineServerOptions,
} from '../../../../lib/tools/simulation/scaling-engine-server.ts';
import { createScalingEngineModel } from '../../../../lib/tools/simulation/scaling-engine-model.ts';
import { parse } from '../../../../lib/core/json/bigint-json.ts';

const NOW = 1700000000000000000n;
const trigger = {
  app_id: 'app-1',
  metric_type: 'memoryused',
  metric_unit: 'MB',
  breach_duration_secs: 120,
  threshold: 300,
  operator: '>',
  cool_down_secs: 60,
  adjustment: '+1',
};
const model = () => createScalingEngineModel({ now: () => NOW, limits: () => ({ min: 1, max: 3 }) });

let servers: ScalingEngineServer[] = [];
const start = async (options: Partial<ScalingEngineServerOptions> = {}) => {
  const s = await startScalingEngineServer({ model: model(), ...options });
  servers.push(s);
  return s;
};
const post = async (s: ScalingEngineServer, body: string, appId = 'app-1') => {
  const response = await fetch(`${s.url}/v1/apps/${appId}/scale`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    signal: AbortSignal.timeout(5000),
  });
  return { status: response.status, text: await response.text() };
};

// ---
const server = suite('startScalingEngineServer');
server.after.each(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

server('scales through the model and answers its AppScalingResult with a bare int64 expiry', async () => {
  const se = await start();
  const r = await post(se, JSON.stringify(trigger));
  assert.is(r.status, 200);
  assert.is(r.text, `{"app_id":"app-1","status":0,"adjustment":1,"cool_down_expired_at":${NOW + 60_000_000_000n}}\n`);
  assert.equal(parse(r.text), {
    app_id: 'app-1',
    status: 0,
    adjustment: 1,
    cool_down_expired_at: NOW + 60_000_000_000n,
  });
  assert.is(se.calls.length, 1);
  assert.equal(se.calls[0]?.trigger, {
    appId: 'app-1',
    metricType: 'memoryused',
    metricUnit: 'MB',
    breachDurationSecs: 120,
    threshold: 300n,
    operator: '>',
    coolDownSecs: 60,
    adjustment: '+1',
  });
  const again = await post(se, JSON.stringify(trigger));
  assert.equal(parse(again.text), {
    app_id: 'app-1',
    status: 2,
    adjustment: 0,
    cool_down_expired_at: NOW + 60_000_000_000n,
  });
});

server('refuses every malformed trigger with the Bad-Request body', async () => {
  const se = await start();
  const { threshold: _t, ...withoutThreshold } = trigger;
  const bodies = [
    '',
    'succeed',
    '[]',
    'null',
    '"x"',
    JSON.stringify(withoutThreshold),
    JSON.stringify({ ...trigger, threshold: 'x' }),
    JSON.stringify({ ...trigger, breach_duration_secs: 1.5 }),
    JSON.stringify({ ...trigger, adjustment: 1 }),
    JSON.stringify({ ...trigger, operator: null }),
  ];
  for (const body of bodies) {
    const r = await post(se, body);
    assert.is(r.status, 400, body);
    assert.equal(JSON.parse(r.text), { code: 'Bad-Request', message: 'Incorrect trigger in request body' });
  }
  assert.is(se.calls.length, bodies.length);
  assert.ok(se.calls.every((c) => c.trigger === undefined && c.status === 400));
});

server('keeps int64 thresholds exact', () => {
  assert.is(
    parseTriggerBody(JSON.stringify(trigger).replace('300', '9223372036854775807'))?.threshold,
    9223372036854775807n,
  );
});

server('forces statuses, garbage and latency for tests', async () => {
  const se = await start({
    forceStatus: (c) => (c.appId === 'down' ? 500 : undefined),
    garbage: (c) => c.appId === 'odd',
    latencyMs: (c) => (c.appId === 'slow' ? 120 : 0),
  });
  const down = await post(se, JSON.stringify(trigger), 'down');
  assert.equal(
    [down.status, JSON.parse(down.text)],
    [500, { code: 'Internal-server-error', message: 'Error taking scaling action' }],
  );
  assert.equal(await post(se, JSON.stringify(trigger), 'odd'), { status: 200, text: 'succeed' });
  const started = performance.now();
  assert.is((await post(se, JSON.stringify(trigger), 'slow')).status, 200);
  assert.ok(performance.now() - started >= 110);
});

server('answers a failed scaling action with 500', async () => {
  const se = await start();
  const r = await post(se, JSON.stringify({ ...trigger, adjustment: 'lots' }));
  assert.is(r.status, 500);
  assert.is(se.calls[0]?.reply?.status, 1);
});

server('routes like the scaling engine', async () => {
  const se = await start();
  assert.is((await fetch(`${se.url}/v1/apps/app-1/scale`)).status, 405);
  assert.is((await fetch(`${se.url}/v1/other`, { method: 'POST' })).status, 404);
});

server.run();
