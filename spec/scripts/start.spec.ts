import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openTestDatabase } from '../support/database.ts';
import { cpuGauges, serviceConfigYaml, startPeers } from '../support/peers.ts';
import type { Peers } from '../support/peers.ts';
import { spawnService, urlWithSchema, writeConfig } from '../support/service-process.ts';
import type { ServiceProcess } from '../support/service-process.ts';
import { parse } from '../../lib/core/json/bigint-json.ts';
import { setTimeout as sleep } from 'node:timers/promises';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;
interface Context {
  db: Db;
  peers: Peers;
  service?: ServiceProcess;
}

const APP = 'e2e-app-1';
const QUIET_APP = 'e2e-app-2';
const policy = (threshold: number) =>
  JSON.stringify({
    instance_min_count: 1,
    instance_max_count: 5,
    scaling_rules: [
      { metric_type: 'cpu', breach_duration_secs: 3, threshold, operator: '>', cool_down_secs: 60, adjustment: '+1' },
    ],
  });

const until = async <T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(200);
  }
};

const e2e = suite<Context>('service process end to end');

e2e.before(async (context) => {
  context.db = await openTestDatabase();
  context.peers = await startPeers();
  context.peers.logCache.store.add(...cpuGauges(APP, 91.2, -90, 120), ...cpuGauges(QUIET_APP, 10, -90, 120));
  await context.db.sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES
    (${APP}, CAST(${policy(70)}::text AS json), 'g1'), (${QUIET_APP}, CAST(${policy(70)}::text AS json), 'g2'),
    ('e2e-broken', CAST('{"scaling_rules":[{"threshold":"70"}]}'::text AS json), 'g3')`;
  const config = writeConfig(
    serviceConfigYaml({ databaseUrl: urlWithSchema(context.db.url, context.db.schema), peers: context.peers }),
  );
  context.service = spawnService(['-c', config]);
  await context.service.started();
});

e2e.after(async (context) => {
  await context.service?.stop('SIGKILL');
  await context.peers.close();
  await context.db.close();
});

e2e('sends the scale call with the exact trigger body for the breaching app only', async ({ peers }) => {
  const call = await until('a scale call', 30_000, () => peers.scalingEngine.calls.find((c) => c.appId === APP));
  assert.equal(parse(call.body), {
    app_id: APP,
    metric_type: 'cpu',
    metric_unit: '%',
    breach_duration_secs: 3,
    threshold: 70,
    operator: '>',
    cool_down_secs: 60,
    adjustment: '+1',
  });
  assert.is(call.status, 200);
  assert.not.ok(
    peers.scalingEngine.calls.some((c) => c.appId === QUIET_APP),
    'the quiet app is never scaled',
  );
});

e2e('holds the app in cooldown after the scaling engine answered', async ({ peers, service }) => {
  const answered = await until('the scaling result', 15_000, () =>
    service!.logs.find((l) => l.decision === 'scaling-result' && l.appId === APP),
  );
  assert.match(String(answered.msg), /scaling engine answered 200, instances \+1; cooldown until/);
  // the app keeps breaching on every new metric (one a second) while it cools down
  await sleep(3_000);
  assert.is(peers.scalingEngine.calls.filter((c) => c.appId === APP).length, 1, 'one call only while cooling down');
});

e2e('writes the app metrics to app_metric', async ({ db }) => {
  const rows = await until('app_metric rows', 15_000, async () => {
    const found = await db.sql<
      { value: string; unit: string }[]
    >`SELECT value, unit FROM app_metric WHERE app_id = ${APP} AND metric_type = 'cpu'`;
    return found.length >= 2 ? found : undefined;
  });
  assert.ok(rows.every((r) => r.unit === '%'));
  assert.ok(
    rows.some((r) => r.value === '92'),
    `ceil(91.2) = 92 expected among ${rows.map((r) => r.value).join(',')}`,
  );
});

e2e('answers the aggregated metric history API from cache or database', async ({ service }) => {
  const { cf } = service!.ports();
  const response = await fetch(`http://127.0.0.1:${cf}/v1/apps/${APP}/aggregated_metric_histories/cpu?order=desc`);
  assert.is(response.status, 200);
  assert.is(response.headers.get('content-type'), 'application/json');
  const body = parse(await response.text()) as {
    app_id: string;
    name: string;
    value: string;
    unit: string;
    timestamp: bigint;
  }[];
  assert.ok(body.length >= 2);
  assert.ok(body.every((m) => m.app_id === APP && m.name === 'cpu' && typeof m.timestamp === 'bigint'));
  assert.ok(body[0]!.timestamp > body[1]!.timestamp, 'descending');
  const bad = await fetch(`http://127.0.0.1:${cf}/v1/apps/${APP}/aggregated_metric_histories/cpu?start=abc`);
  assert.is(bad.status, 400);
  assert.is(await bad.text(), '{"code":"Bad-Request","message":"Error parsing start time"}');
});

e2e('counts envelopes, app metrics and scaling calls in the Prometheus metrics', async ({ service }) => {
  const { health } = service!.ports();
  const text = await (await fetch(`http://127.0.0.1:${health}/metrics`)).text();
  const value = (name: string) =>
    Number(new RegExp(`^autoscaler_eventgenerator_${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  assert.ok(value('envelopes_parsed_total') > 0, 'envelopes parsed');
  assert.ok(value('app_metrics_produced_total') > 0, 'app metrics produced');
  assert.ok(value('scaling_calls_total') > 0, 'scaling calls');
});

e2e('logs the broken policy with its reason and keeps evaluating the others', async ({ service }) => {
  const line = service!.logs.find((l) => l.appId === 'e2e-broken');
  assert.ok(line, 'a log line names the broken app');
  assert.match(String(line!.reason), /threshold/);
});

e2e('exits 0 on SIGTERM with every produced metric written', async ({ db, service }) => {
  const code = await service!.stop('SIGTERM', 20_000);
  assert.is(code, 0);
  const stopped = service!.logs.find((l) => l.msg === 'eventgenerator stopped');
  assert.equal(stopped?.flushed, true);
  const [row] = await db.sql<
    { n: bigint }[]
  >`SELECT count(*) AS n FROM app_metric WHERE app_id IN (${APP}, ${QUIET_APP})`;
  const produced = service!.logs.filter((l) => l.msg === 'eventgenerator stopped').length;
  assert.ok(produced === 1 && (row?.n ?? 0n) > 0n);
});

e2e.run();

// ---
const startup = suite('service process start-up errors');

startup('exits 1 naming a missing config file', async () => {
  const service = spawnService(['-c', '/nonexistent/bogus.yml']);
  assert.is(await service.exited(), 1);
  assert.match(
    service.stdout(),
    "failed to read/validate config file '/nonexistent/bogus.yml' : failed to open config file '/nonexistent/bogus.yml'",
  );
});

startup('exits 1 on a garbage config file and on a strict-key error', async () => {
  for (const [text, expected] of [
    ['bogus', 'failed to read config file'],
    ['logging:\nlevel: debug\n', 'level'],
  ] as const) {
    const service = spawnService(['-c', writeConfig(text)]);
    assert.is(await service.exited(), 1);
    assert.match(service.stdout(), expected);
  }
});

startup('exits 1 with the validation message for an invalid value', async () => {
  const service = spawnService(['-c', writeConfig('db: { policy_db: { url: "" } }\n')]);
  assert.is(await service.exited(), 1);
  assert.match(service.stdout(), 'failed to validate configuration : Configuration error: db.policy_db.url is empty');
});

startup.run();
