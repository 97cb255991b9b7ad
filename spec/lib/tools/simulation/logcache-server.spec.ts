import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { startLogCacheServer } from '../../../../lib/tools/simulation/logcache-server.ts';
import type { LogCacheServer, LogCacheServerOptions } from '../../../../lib/tools/simulation/logcache-server.ts';
import { createEnvelopeStore } from '../../../../lib/tools/simulation/logcache-store.ts';
import { createTokenRegistry } from '../../../../lib/tools/simulation/uaa-token-registry.ts';
import { parseReadResponse } from '../../../../lib/core/envelope/parse-read-response.ts';
import { parseEnvelope } from '../../../../lib/core/envelope/parse-envelope.ts';
import { parse } from '../../../../lib/core/json/bigint-json.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';
import { FIXTURE_DIR } from '../../../lib/core/envelope/fixtures/load-fixture.ts';

const FIXTURES = FIXTURE_DIR;
const APP = '6e4b1f7a-3c2d-4b8e-9f10-2a7c5d9e8b41';
const fixtureText = (file: string): string => readFileSync(`${FIXTURES}/${file}`, 'utf8');
const fixture = (file: string): unknown => JSON.parse(fixtureText(file));
const fixtureEnvelopes = (file: string): Envelope[] =>
  (fixture(file) as { envelopes: { batch: unknown[] } }).envelopes.batch.map((raw) => {
    const r = parseEnvelope(raw);
    if (!r.ok) throw new Error(r.reason);
    return r.envelope;
  });

let servers: LogCacheServer[] = [];
const start = async (options: LogCacheServerOptions = {}): Promise<LogCacheServer> => {
  const s = await startLogCacheServer(options);
  servers.push(s);
  return s;
};
const closeAll = async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
};

const get = async (server: LogCacheServer, path: string, headers: Record<string, string> = {}) => {
  const response = await fetch(`${server.url}${path}`, { headers, signal: AbortSignal.timeout(5000) });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
};

const withGauges = async () => {
  const store = createEnvelopeStore();
  store.add(...fixtureEnvelopes('read-container-gauges.json'));
  return start({ envelopes: store });
};

// ---
const read = suite('GET /api/v1/read');
read.after.each(closeAll);

read('answers the fixture request with the fixture body', async () => {
  const lc = await withGauges();
  const r = await get(
    lc,
    `/api/v1/read/${APP}?envelope_types=GAUGE&start_time=1731578400000000000&end_time=1731578460000000000&limit=1000`,
  );
  assert.is(r.status, 200);
  assert.is(r.type, 'application/json');
  assert.ok(r.text.endsWith('}\n'));
  assert.equal(JSON.parse(r.text), fixture('read-container-gauges.json'));
  assert.equal(parseReadResponse(parse(r.text)).envelopes, fixtureEnvelopes('read-container-gauges.json'));
});

read('answers an unknown source with an empty batch', async () => {
  const lc = await withGauges();
  const r = await get(lc, '/api/v1/read/unknown?start_time=0');
  assert.is(r.text, '{"envelopes":{"batch":[]}}\n');
  assert.equal(JSON.parse(r.text), fixture('read-empty.json'));
});

read('keeps the window half-open and returns at most 100 by default, oldest first', async () => {
  const lc = await start();
  lc.store.add(
    ...Array.from(
      { length: 150 },
      (_, i): Envelope => ({
        timestamp: 1000n + BigInt(i),
        sourceId: 's',
        instanceId: '0',
        tags: {},
        counter: { name: 'c', delta: 0n, total: BigInt(i) },
      }),
    ),
  );
  const page = parseReadResponse(parse((await get(lc, '/api/v1/read/s?start_time=1000&end_time=1140')).text)).envelopes;
  assert.is(page.length, 100);
  assert.is(page[0]?.timestamp, 1000n);
  const tail = parseReadResponse(parse((await get(lc, '/api/v1/read/s?start_time=1130&end_time=1140')).text)).envelopes;
  assert.equal(
    tail.map((e) => e.timestamp),
    Array.from({ length: 10 }, (_, i) => 1130n + BigInt(i)),
  );
  const newest = parseReadResponse(
    parse((await get(lc, '/api/v1/read/s?start_time=1000&end_time=1140&descending=true&limit=3')).text),
  ).envelopes;
  assert.equal(
    newest.map((e) => e.timestamp),
    [1139n, 1138n, 1137n],
  );
});

read('finishes a run of equal timestamps past the limit', async () => {
  const lc = await start();
  lc.store.add(
    ...[5n, 6n, 6n, 6n, 7n].map(
      (ts, i): Envelope => ({
        timestamp: ts,
        sourceId: 's',
        instanceId: String(i),
        tags: {},
        gauge: { cpu: { unit: '%', value: i } },
      }),
    ),
  );
  const page = parseReadResponse(
    parse((await get(lc, '/api/v1/read/s?start_time=0&end_time=100&limit=2')).text),
  ).envelopes;
  assert.equal(
    page.map((e) => e.timestamp),
    [5n, 6n, 6n, 6n],
  );
});

read('filters names as an unanchored regex, rewriting gauges and dropping what does not match', async () => {
  const lc = await start();
  lc.store.add(
    {
      timestamp: 1n,
      sourceId: 's',
      instanceId: '0',
      tags: {},
      gauge: {
        cpu: { unit: '%', value: 1 },
        cpu_entitlement: { unit: '%', value: 2 },
        memory: { unit: 'bytes', value: 3 },
      },
    },
    { timestamp: 2n, sourceId: 's', instanceId: '0', tags: {}, gauge: { disk: { unit: 'bytes', value: 4 } } },
    { timestamp: 3n, sourceId: 's', instanceId: '0', tags: {}, timer: { name: 'http', start: 1n, stop: 2n } },
    { timestamp: 4n, sourceId: 's', instanceId: '0', tags: {}, counter: { name: 'cpu_count', delta: 0n, total: 9n } },
  );
  const page = parseReadResponse(
    parse((await get(lc, '/api/v1/read/s?start_time=0&end_time=10&name_filter=cpu')).text),
  ).envelopes;
  assert.equal(
    page.map((e) => e.timestamp),
    [1n, 4n],
  );
  assert.equal(Object.keys(page[0]?.gauge ?? {}), ['cpu', 'cpu_entitlement']);
  const gauges = parseReadResponse(
    parse((await get(lc, '/api/v1/read/s?start_time=0&end_time=10&envelope_types=GAUGE&envelope_types=TIMER')).text),
  ).envelopes;
  assert.equal(
    gauges.map((e) => e.timestamp),
    [1n, 2n, 3n],
  );
});

read('refuses bad parameters with the fixture bodies and statuses', async () => {
  const lc = await start();
  const limit = await get(lc, '/api/v1/read/s?limit=1001');
  assert.is(limit.status, 500);
  assert.equal(JSON.parse(limit.text), fixture('read-error-limit.json'));
  const bad = await get(lc, '/api/v1/read/s?limit=abc');
  assert.is(bad.status, 400);
  assert.equal(JSON.parse(bad.text), fixture('read-error-bad-param.json'));
  const cases: Array<[string, number, RegExp]> = [
    ['start_time=1.5', 400, /parsing field "start_time"/],
    ['envelope_types=GAUGE,TIMER', 400, /"envelope_types"/],
    ['envelope_types=gauge', 400, /"envelope_types"/],
    ['descending', 400, /parsing field "descending"/],
    ['limit=1&limit=2', 400, /too many values for field "limit"/],
    ['start_time=10&end_time=5', 500, /must be before/],
    ['name_filter=(', 500, /name filter must be a valid regular expression/],
    ['limit=-1', 500, /limit \(-1\)/],
  ];
  for (const [query, status, message] of cases) {
    const r = await get(lc, `/api/v1/read/s?${query}`);
    assert.is(r.status, status, query);
    const body = JSON.parse(r.text) as { code: number; message: string; details: unknown[] };
    assert.match(body.message, message);
    assert.equal(body.details, []);
    assert.is(body.code, status === 400 ? 3 : 2);
  }
});

// ---
const auth = suite('auth and routing');
auth.after.each(closeAll);

auth('answers 404 with an empty body for a missing, unknown or expired token; info needs none', async () => {
  const registry = createTokenRegistry();
  const lc = await start({ requireToken: registry.check });
  const token = registry.issue({
    clientId: 'c',
    grantType: 'client_credentials',
    scopes: ['logs.admin'],
    expiresInSecs: 60,
  });
  assert.is((await get(lc, '/api/v1/read/s', { authorization: `bearer ${token.accessToken}` })).status, 200);
  assert.is((await get(lc, '/api/v1/read/s', { authorization: `Bearer ${token.accessToken}` })).status, 200);
  for (const headers of [{}, { authorization: 'bearer nope' }] as Array<Record<string, string>>) {
    const r = await get(lc, '/api/v1/read/s', headers);
    assert.equal([r.status, r.text], [404, '']);
  }
  registry.expire(token.accessToken);
  assert.equal(
    [(await get(lc, '/api/v1/query?query=x', { authorization: `bearer ${token.accessToken}` })).status],
    [404],
  );
  const info = await get(lc, '/api/v1/info');
  assert.is(info.status, 200);
  const body = JSON.parse(info.text) as Record<string, unknown>;
  assert.equal(Object.keys(body), Object.keys(fixture('info.json') as object));
  assert.is(typeof body['vm_uptime'], 'string');
});

auth('answers unknown paths like the gateway and other methods with 501', async () => {
  const lc = await start();
  assert.equal(await get(lc, '/api/v1/nope'), {
    status: 404,
    type: 'text/plain; charset=utf-8',
    text: '404 page not found\n',
  });
  const post = await fetch(`${lc.url}/api/v1/read/s`, { method: 'DELETE' });
  assert.is(post.status, 501);
  assert.equal(await post.json(), { code: 12, message: 'Method Not Allowed', details: [] });
});

auth('lists sources in the proxy meta shape', async () => {
  const store = createEnvelopeStore({ maxPerSource: 2 });
  const lc = await start({ envelopes: store });
  store.add(
    ...[1n, 2n, 3n].map(
      (ts): Envelope => ({
        timestamp: ts,
        sourceId: 'a',
        instanceId: '0',
        tags: {},
        gauge: { cpu: { unit: '%', value: 1 } },
      }),
    ),
  );
  store.add({ timestamp: 9n, sourceId: 'b', instanceId: '0', tags: {}, gauge: { cpu: { unit: '%', value: 1 } } });
  const meta = JSON.parse((await get(lc, '/api/v1/meta')).text) as { meta: Record<string, Record<string, string>> };
  assert.equal(meta.meta, {
    a: { count: '2', expired: '1', oldestTimestamp: '2', newestTimestamp: '3' },
    b: { count: '1', oldestTimestamp: '9', newestTimestamp: '9' },
  });
  const shape = (fixture('meta.json') as { meta: Record<string, object> }).meta;
  assert.equal(Object.keys(meta.meta['a'] ?? {}), Object.keys(Object.values(shape)[0] ?? {}));
});

// ---
const faults = suite('faults');
faults.after.each(closeAll);

faults('answers 503, garbage or nothing when told to', async () => {
  const lc = await start({
    faults: {
      decide: (r) =>
        r.sourceId === 'e' ? 'error' : r.sourceId === 'g' ? 'garbage' : r.sourceId === 'h' ? 'hang' : undefined,
    },
  });
  assert.is((await get(lc, '/api/v1/read/e')).status, 503);
  const garbage = await get(lc, '/api/v1/read/g');
  assert.is(garbage.status, 200);
  assert.throws(() => JSON.parse(garbage.text));
  const hung = await fetch(`${lc.url}/api/v1/read/h`, { signal: AbortSignal.timeout(150) }).then(
    () => 'answered',
    (e: Error) => e.name,
  );
  assert.is(hung, 'TimeoutError');
  assert.is((await get(lc, '/api/v1/read/ok')).status, 200);
});

faults('draws random faults at the configured rates', async () => {
  let n = 0;
  const lc = await start({ faults: { errorRate: 0.5, random: () => ((n += 1) % 2 === 0 ? 0.1 : 0.9) } });
  const statuses = [];
  for (let i = 0; i < 4; i += 1) statuses.push((await get(lc, '/api/v1/read/s')).status);
  assert.equal(statuses, [200, 503, 200, 503]);
});

read.run();
auth.run();
faults.run();
