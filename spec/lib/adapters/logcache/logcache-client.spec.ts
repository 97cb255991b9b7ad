import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogCacheClient } from '../../../../lib/adapters/logcache/logcache-client.ts';
import type { LogCacheClientOptions } from '../../../../lib/adapters/logcache/logcache-client.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';
import { sendJson, startPeerServer } from '../../../../lib/tools/simulation/peer-server.ts';
import { startLogCacheServer } from '../../../../lib/tools/simulation/logcache-server.ts';
import type { LogCacheServer } from '../../../../lib/tools/simulation/logcache-server.ts';
import { startUaaServer } from '../../../../lib/tools/simulation/uaa-server.ts';
import { createPasswordGrantProvider } from '../../../../lib/adapters/uaa/password-grant-provider.ts';
import { rejection } from '../../../support/rejection.ts';

const APP = '6e4b1f7a-3c2d-4b8e-9f10-2a7c5d9e8b41';
const T0 = 1731578400000000000n;

const gauge = (i: number, ts: bigint, metrics: Record<string, number>, instance = '0'): Envelope => ({
  timestamp: ts,
  sourceId: APP,
  instanceId: instance,
  tags: { origin: 'rep', n: String(i) },
  gauge: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, { unit: 'bytes', value: v }])),
});

const closers: Array<{ close(): Promise<void> }> = [];
const closeAll = async () => {
  await Promise.all(closers.splice(0).map((s) => s.close()));
};
const server = async (...args: Parameters<typeof startLogCacheServer>): Promise<LogCacheServer> => {
  const s = await startLogCacheServer(...args);
  closers.push(s);
  return s;
};
const client = (url: string, extra: Partial<LogCacheClientOptions> = {}) =>
  createLogCacheClient({ url, timeoutMs: 2000, retry: { limit: 0, initialMs: 5, maxMs: 5 }, concurrency: 4, ...extra });

// ---
const read = suite('read');
read.after.each(closeAll);

read('sends the window, the envelope type and the name filter', async () => {
  const lc = await server();
  await client(lc.url).read(APP, {
    startTime: T0,
    endTime: T0 + 120_000_000_000n,
    envelopeTypes: ['GAUGE'],
    nameFilter: 'memory|memory_quota',
  });
  const [request] = lc.requests;
  assert.is(request?.path, `/api/v1/read/${APP}`);
  assert.equal(
    [...(request?.params ?? [])],
    [
      ['end_time', String(T0 + 120_000_000_000n)],
      ['envelope_types', 'GAUGE'],
      ['name_filter', 'memory|memory_quota'],
      ['start_time', String(T0)],
    ],
  );
});

read('leaves limit to the server default unless asked', async () => {
  const lc = await server();
  lc.store.add(...Array.from({ length: 150 }, (_, i) => gauge(i, T0 + BigInt(i), { memory: i })));
  const result = await client(lc.url).read(APP, { startTime: T0, endTime: T0 + 1000n });
  assert.is(lc.requests[0]?.params.has('limit'), false);
  assert.is(result.envelopes.length, 100);
});

read('returns exact nanosecond timestamps and the filtered gauges', async () => {
  const lc = await server();
  lc.store.add(gauge(0, 1731578400123456789n, { memory: 1, memory_quota: 2, cpu: 3 }));
  const result = await client(lc.url).read(APP, {
    startTime: T0,
    endTime: T0 + 1_000_000_000n,
    envelopeTypes: ['GAUGE'],
    nameFilter: '^memory',
  });
  assert.is(result.envelopes[0]?.timestamp, 1731578400123456789n);
  assert.equal(Object.keys(result.envelopes[0]?.gauge ?? {}), ['memory', 'memory_quota']);
});

read('keeps readable envelopes and lists the rejected ones by position', async () => {
  const raw = await startPeerServer((_req, res) =>
    sendJson(
      res,
      200,
      JSON.stringify({
        envelopes: {
          batch: [
            {
              timestamp: '1',
              source_id: APP,
              instance_id: '0',
              tags: {},
              gauge: { metrics: { cpu: { unit: '%', value: 1 } } },
            },
            { timestamp: 'soon', source_id: APP, gauge: { metrics: {} } },
          ],
        },
      }),
    ),
  );
  closers.push(raw);
  const result = await client(raw.url).read(APP, { startTime: 0n, endTime: 10n });
  assert.is(result.envelopes.length, 1);
  assert.is(result.rejected.length, 1);
  assert.is(result.rejected[0]?.index, 1);
  assert.match(result.rejected[0]?.reason ?? '', /timestamp/);
});

read('refuses a limit above 1000 with the server message', async () => {
  const lc = await server();
  const err = await rejection(client(lc.url).read(APP, { startTime: 0n, endTime: 10n, limit: 1001 }));
  assert.is(err.name, 'LogCacheStatusError');
  assert.is(err['status'], 500);
  assert.is(err['sourceId'], APP);
  assert.match(err.message, /limit \(1001\) must be 1000 or less/);
});

read('fails with a decode error on a body that is not a read response', async () => {
  const lc = await server({ faults: { decide: () => 'garbage' } });
  const err = await rejection(client(lc.url).read(APP, { startTime: 0n, endTime: 10n }));
  assert.is(err.name, 'LogCacheDecodeError');
  assert.match(err.message, /not JSON \(<html>/);
  const raw = await startPeerServer((_req, res) => sendJson(res, 200, '{"code":2}'));
  closers.push(raw);
  const shape = await rejection(client(raw.url).read(APP, { startTime: 0n, endTime: 10n }));
  assert.is(shape.name, 'LogCacheDecodeError');
  assert.match(shape.message, /no "envelopes" field/);
});

// ---
const readAll = suite('readAll');
readAll.after.each(closeAll);

readAll('pages past the 1000 cap and returns 2,500 envelopes once each, in order', async () => {
  const lc = await server();
  lc.store.add(...Array.from({ length: 2500 }, (_, i) => gauge(i, T0 + BigInt(i) * 1000n, { memory: i })));
  const result = await client(lc.url).readAll(APP, {
    startTime: T0,
    endTime: T0 + 10_000_000n,
    envelopeTypes: ['GAUGE'],
  });
  assert.is(result.envelopes.length, 2500);
  assert.equal(
    result.envelopes.map((e) => e.gauge?.['memory']?.value),
    Array.from({ length: 2500 }, (_, i) => i),
  );
  assert.equal(
    lc.requests.map((r) => r.params.get('limit')),
    ['1000', '1000', '1000'],
  );
  assert.equal(
    lc.requests.map((r) => r.params.get('start_time')),
    [String(T0), String(T0 + 999_000n + 1n), String(T0 + 1_999_000n + 1n)],
  );
});

readAll('loses nothing when a page boundary falls inside a run of equal timestamps', async () => {
  const lc = await server();
  // 995 distinct timestamps, then 20 envelopes sharing one, then 10 more.
  const envelopes = [
    ...Array.from({ length: 995 }, (_, i) => gauge(i, T0 + BigInt(i), { memory: i })),
    ...Array.from({ length: 20 }, (_, i) => gauge(995 + i, T0 + 995n, { memory: 995 + i }, String(i))),
    ...Array.from({ length: 10 }, (_, i) => gauge(1015 + i, T0 + 996n + BigInt(i), { memory: 1015 + i })),
  ];
  lc.store.add(...envelopes);
  const result = await client(lc.url).readAll(APP, { startTime: T0, endTime: T0 + 10_000n });
  assert.equal(
    result.envelopes.map((e) => e.gauge?.['memory']?.value),
    Array.from({ length: 1025 }, (_, i) => i),
  );
  assert.is(lc.requests.length, 2);
});

readAll('stops at the end of the window', async () => {
  const lc = await server();
  lc.store.add(...Array.from({ length: 30 }, (_, i) => gauge(i, T0 + BigInt(i), { memory: i })));
  const result = await client(lc.url).readAll(APP, { startTime: T0, endTime: T0 + 20n, limit: 10 });
  assert.is(result.envelopes.length, 20);
  assert.equal(
    lc.requests.map((r) => r.params.get('start_time')),
    [String(T0), String(T0 + 10n)],
  );
});

// ---
const other = suite('promQl, info and auth');
other.after.each(closeAll);

other('runs an instant query and returns the decoded body', async () => {
  const lc = await server();
  lc.store.add({
    timestamp: T0 + 500n,
    sourceId: APP,
    instanceId: '0',
    tags: { peer_type: 'Client' },
    timer: { name: 'http', start: 0n, stop: 2_500_000n },
  });
  const query = `avg by (instance_id) (max_over_time(http{source_id='${APP}',peer_type='Client'}[40s])) / (1000 * 1000)`;
  const body = await client(lc.url).promQl(query, '1731578400.001');
  assert.equal(body, {
    status: 'success',
    data: { resultType: 'vector', result: [{ metric: { instance_id: '0' }, value: [1731578400.001, '2.5'] }] },
  });
  assert.is(lc.requests[0]?.params.get('query'), query);
  assert.is(lc.requests[0]?.params.get('time'), '1731578400.001');
});

other('turns a PromQL error into a status error carrying the server message', async () => {
  const lc = await server();
  const err = await rejection(client(lc.url).promQl('sum(memory)', '1'));
  assert.is(err['status'], 400);
  assert.match(err.message, /query does not request any source_ids/);
});

other('reads the version, and reports an old log-cache without info as undefined', async () => {
  const lc = await server({ version: '3.2.12', requireToken: () => 'invalid' });
  assert.equal(await client(lc.url).info(), { version: '3.2.12' });
  const old = await startPeerServer((_req, res) => {
    res.writeHead(404);
    res.end('404 page not found');
  });
  closers.push(old);
  assert.is(await client(old.url).info(), undefined);
});

other('refreshes an expired token when log-cache answers 404, then reads', async () => {
  const uaa = await startUaaServer({
    clients: [{ id: 'cf', secret: '', grants: ['password'] }],
    users: [{ username: 'u', password: 'p' }],
  });
  closers.push(uaa);
  const lc = await server({ requireToken: uaa.registry.check });
  lc.store.add(gauge(0, T0, { memory: 1 }));
  const auth = createPasswordGrantProvider({ url: uaa.url, username: 'u', password: 'p', now: () => 0n });
  const c = client(lc.url, { auth });
  assert.is((await c.read(APP, { startTime: T0, endTime: T0 + 1n })).envelopes.length, 1);
  uaa.registry.expire();
  assert.is((await c.read(APP, { startTime: T0, endTime: T0 + 1n })).envelopes.length, 1);
  assert.equal(
    lc.requests.map((r) => r.status),
    [200, 404, 200],
  );
  assert.is(uaa.requests.length, 2);
  assert.is(lc.requests[0]?.authorization === lc.requests[2]?.authorization, false);
});

other('keeps a real 404 an error after one refresh', async () => {
  const uaa = await startUaaServer({
    clients: [{ id: 'cf', secret: '', grants: ['password'] }],
    users: [{ username: 'u', password: 'p' }],
  });
  closers.push(uaa);
  const always404 = await startPeerServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  closers.push(always404);
  const auth = createPasswordGrantProvider({ url: uaa.url, username: 'u', password: 'p', now: () => 0n });
  const err = await rejection(
    client(always404.url, { auth, retry: { limit: 3, initialMs: 1, maxMs: 1 } }).read(APP, {
      startTime: 0n,
      endTime: 1n,
    }),
  );
  assert.is(err['status'], 404);
  assert.is(uaa.requests.length, 2);
});

read.run();
readAll.run();
other.run();
