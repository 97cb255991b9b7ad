import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLogCacheClient } from '../../../../lib/adapters/logcache/logcache-client.ts';
import type { LogCacheClientOptions } from '../../../../lib/adapters/logcache/logcache-client.ts';
import { sendJson, startPeerServer } from '../../../../lib/tools/simulation/peer-server.ts';
import { startLogCacheServer } from '../../../../lib/tools/simulation/logcache-server.ts';
import { rejection } from '../../../support/rejection.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const EMPTY = '{"envelopes":{"batch":[]}}';
const window = { startTime: 0n, endTime: 1n };

const closers: Array<{ close(): Promise<void> }> = [];
const closeAll = async () => {
  await Promise.all(closers.splice(0).map((s) => s.close()));
};

/** A raw log-cache fake: `script(n)` answers the n-th request (1-based); arrival times are kept. */
const scripted = async (script: (n: number, req: IncomingMessage, res: ServerResponse) => void) => {
  const arrivals: number[] = [];
  const server = await startPeerServer((req, res) => {
    arrivals.push(performance.now());
    script(arrivals.length, req, res);
  });
  closers.push(server);
  return { url: server.url, arrivals };
};

const status = (res: ServerResponse, code: number, body = ''): void => {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(body);
};

const client = (url: string, extra: Partial<LogCacheClientOptions> = {}) =>
  createLogCacheClient({
    url,
    timeoutMs: 1000,
    retry: { limit: 3, initialMs: 40, maxMs: 1000 },
    concurrency: 4,
    ...extra,
  });

// ---
const retries = suite('retries');
retries.after.each(closeAll);

retries('retries a 5xx with exponential backoff and returns the eventual answer', async () => {
  const lc = await scripted((n, _req, res) => (n < 3 ? status(res, 503, '{"code":14}') : sendJson(res, 200, EMPTY)));
  const result = await client(lc.url).read('app', window);
  assert.equal(result, { envelopes: [], rejected: [] });
  assert.is(lc.arrivals.length, 3);
  const [a = 0, b = 0, c = 0] = lc.arrivals;
  assert.ok(b - a >= 38, `first backoff ${b - a} ms`);
  assert.ok(c - b >= 78, `second backoff ${c - b} ms`);
});

retries('gives up after the retry limit with the last status and the attempt count', async () => {
  const lc = await scripted((_n, _req, res) => status(res, 500, '{"code":2,"message":"boom","details":[]}'));
  const err = await rejection(client(lc.url, { retry: { limit: 2, initialMs: 1, maxMs: 1 } }).read('app', window));
  assert.is(lc.arrivals.length, 3);
  assert.is(err.name, 'LogCacheStatusError');
  assert.is(err['attempts'], 3);
  assert.match(
    err.message,
    /^unexpected status code 500 from log-cache GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/read\/app\?.* after 3 attempts: .*boom/,
  );
});

retries('does not retry other 4xx answers', async () => {
  const lc = await scripted((_n, _req, res) => status(res, 400, '{"code":3,"message":"bad","details":[]}'));
  const err = await rejection(client(lc.url).read('app', window));
  assert.is(err['status'], 400);
  assert.is(lc.arrivals.length, 1);
});

retries('retries connection failures and then reports them', async () => {
  const gone = await startPeerServer(() => undefined);
  await gone.close();
  const err = await rejection(client(gone.url, { retry: { limit: 2, initialMs: 1, maxMs: 1 } }).read('app', window));
  assert.is(err.name, 'LogCacheTransportError');
  assert.is(err['attempts'], 3);
  assert.match(err.message, /failed after 3 attempts/);
});

// ---
const timeouts = suite('timeouts');
timeouts.after.each(closeAll);

timeouts('bounds a request that never answers', async () => {
  const lc = await scripted(() => undefined);
  const started = performance.now();
  const err = await rejection(
    client(lc.url, { timeoutMs: 100, retry: { limit: 1, initialMs: 10, maxMs: 10 } }).read('app', window),
  );
  const elapsed = performance.now() - started;
  assert.is(err.name, 'LogCacheTransportError');
  assert.is(err['timedOut'], true);
  assert.match(err.message, /timed out after 100 ms/);
  assert.is(lc.arrivals.length, 2);
  assert.ok(elapsed >= 200 && elapsed < 1000, `took ${elapsed} ms`);
});

timeouts('bounds a body that stops half-way', async () => {
  const lc = await scripted((_n, _req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"envelopes":{"batch":[');
  });
  const err = await rejection(
    client(lc.url, { timeoutMs: 100, retry: { limit: 0, initialMs: 1, maxMs: 1 } }).read('app', window),
  );
  assert.is(err['timedOut'], true);
});

timeouts('stops at once when the caller aborts', async () => {
  const lc = await scripted(() => undefined);
  const controller = new AbortController();
  const pending = rejection(client(lc.url, { timeoutMs: 5000 }).read('app', { ...window, signal: controller.signal }));
  setTimeout(() => controller.abort(new Error('unsubscribed')), 30);
  const started = performance.now();
  const err = await pending;
  assert.is(err.message, 'unsubscribed');
  assert.ok(performance.now() - started < 1000);
});

// ---
const concurrency = suite('concurrency');
concurrency.after.each(closeAll);

concurrency('never has more requests in flight than the bound', async () => {
  const lc = await startLogCacheServer({ latencyMs: 30 });
  closers.push(lc);
  const c = client(lc.url, { concurrency: 3 });
  await Promise.all(Array.from({ length: 12 }, (_, i) => c.read(`app-${i}`, window)));
  assert.is(lc.requests.length, 12);
  assert.is(lc.concurrency().max, 3);
});

concurrency('serves other apps while one app hangs', async () => {
  const lc = await startLogCacheServer({ faults: { decide: (r) => (r.sourceId === 'slow' ? 'hang' : undefined) } });
  closers.push(lc);
  const c = client(lc.url, { concurrency: 2, timeoutMs: 3000 });
  const slow = c.read('slow', window).then(
    () => 'answered',
    () => 'failed',
  );
  const started = performance.now();
  await Promise.all(Array.from({ length: 6 }, () => c.read('fast', window)));
  assert.ok(performance.now() - started < 1000);
  assert.is(await Promise.race([slow, new Promise((r) => setTimeout(() => r('still pending'), 10))]), 'still pending');
});

concurrency('releases its slot while backing off', async () => {
  const order: string[] = [];
  const lc = await scripted((n, req, res) => {
    order.push(`${req.url?.split('?')[0]} #${n}`);
    if (req.url?.startsWith('/api/v1/read/a') && n === 1) status(res, 503);
    else sendJson(res, 200, EMPTY);
  });
  const c = client(lc.url, { concurrency: 1, retry: { limit: 1, initialMs: 150, maxMs: 150 } });
  const a = c.read('a', window);
  await sleep(50);
  await c.read('b', window);
  await a;
  assert.equal(order, ['/api/v1/read/a #1', '/api/v1/read/b #2', '/api/v1/read/a #3']);
});

retries.run();
timeouts.run();
concurrency.run();
