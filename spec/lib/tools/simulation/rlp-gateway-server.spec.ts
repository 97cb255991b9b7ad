import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { startRlpGatewayServer } from '../../../../lib/tools/simulation/rlp-gateway-server.ts';
import type { RlpGatewayOptions, RlpGatewayServer } from '../../../../lib/tools/simulation/rlp-gateway-server.ts';
import { createSseParser } from '../../../../lib/core/envelope/sse-events.ts';
import { parseStreamBatch } from '../../../../lib/core/envelope/parse-stream-batch.ts';
import { createTokenRegistry } from '../../../../lib/tools/simulation/uaa-token-registry.ts';
import { FIXTURE_APP_ID, FIXTURE_DIR } from '../../core/envelope/fixtures/load-fixture.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';

const sample = readFileSync(join(FIXTURE_DIR, 'rlp-stream-sample.sse'), 'utf8');
const sampleEvents = createSseParser().push(sample).events;
const sampleEnvelopes = (i: number): Envelope[] => {
  const read = parseStreamBatch(sampleEvents[i]?.data ?? '');
  if (typeof read === 'string') throw new Error(read);
  return read.envelopes;
};

let servers: RlpGatewayServer[] = [];
const start = async (options: RlpGatewayOptions = {}) => {
  const s = await startRlpGatewayServer(options);
  servers.push(s);
  return s;
};
const closeAll = async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
};
const until = async (check: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 200; i += 1) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

/** Opens a stream and collects its raw text until it ends or `stopAfter` chars arrived. */
const openRaw = async (gw: RlpGatewayServer, query: string, headers: Record<string, string> = {}) => {
  const controller = new AbortController();
  const response = await fetch(`${gw.url}/v2/read?${query}`, { headers, signal: controller.signal });
  let text = '';
  const done = (async () => {
    if (response.status !== 200 || !response.body) return;
    try {
      for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) text += chunk;
    } catch {
      // aborted
    }
  })();
  return { response, text: () => text, done, abort: () => controller.abort() };
};

const wire = suite('RLP gateway wire');
wire.after.each(closeAll);

wire('streams the sample batches as the fixture frames them, then closing', async () => {
  const gw = await start({ streamTimeoutMs: 300, heartbeatMs: 60_000 });
  const s = await openRaw(gw, `source_id=${FIXTURE_APP_ID}&gauge&timer`);
  assert.is(s.response.status, 200);
  assert.is(s.response.headers.get('content-type'), 'text/event-stream');
  assert.is(s.response.headers.get('cache-control'), 'no-cache');
  await until(() => gw.streams().length === 1, 'the stream');
  gw.publish(sampleEnvelopes(0));
  gw.publish(sampleEnvelopes(1));
  await s.done;
  const events = createSseParser().push(s.text()).events;
  assert.equal(
    events.map((e) => e.event),
    ['message', 'message', 'closing'],
  );
  for (const i of [0, 1]) assert.equal(JSON.parse(events[i]?.data ?? ''), JSON.parse(sampleEvents[i]?.data ?? ''));
  assert.is(events[2]?.data, 'closing due to stream timeout');
  assert.match(s.text(), /^data: \{"batch":\[/);
});

wire('selects by source id and type, and sends heartbeats when quiet', async () => {
  const gw = await start({ heartbeatMs: 50 });
  const gauges = await openRaw(gw, `source_id=${FIXTURE_APP_ID}&gauge=`);
  const other = await openRaw(gw, 'source_id=someone-else&gauge');
  await until(() => gw.streams().length === 2, 'two streams');
  assert.is(gw.publish([...sampleEnvelopes(0), ...sampleEnvelopes(1)]), 1);
  await until(() => /event: heartbeat\ndata: \d+\n\n/.test(other.text()), 'a heartbeat');
  const events = createSseParser()
    .push(gauges.text())
    .events.filter((e) => e.event === 'message');
  assert.is(events.length, 1);
  const read = parseStreamBatch(events[0]?.data ?? '');
  assert.ok(
    typeof read === 'object' && read.envelopes.every((e) => e.gauge !== undefined && e.sourceId === FIXTURE_APP_ID),
  );
  gauges.abort();
  other.abort();
});

wire('refuses as upstream: token, empty query, no type, method, unavailable', async () => {
  const registry = createTokenRegistry();
  const token = registry.issue({
    clientId: 'c',
    grantType: 'client_credentials',
    scopes: ['logs.admin'],
    expiresInSecs: 60,
  });
  let unavailable = false;
  const gw = await start({
    requireToken: (t) => registry.check(t),
    decide: () => (unavailable ? 'unavailable' : undefined),
  });
  const get = async (query: string, authorization?: string, method = 'GET') => {
    const r = await fetch(`${gw.url}/v2/read${query}`, {
      method,
      headers: authorization ? { authorization } : {},
    });
    return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
  };
  const notFound = {
    status: 404,
    type: 'text/plain; charset=utf-8',
    body: '{"message":"resource not found","error":"not_found"}',
  };
  assert.equal(await get('?gauge'), notFound);
  // Only the lowercase scheme is stripped before the token check.
  assert.equal(await get('?gauge', `Bearer ${token.accessToken}`), notFound);
  assert.equal(
    (await get('', `bearer ${token.accessToken}`)).body,
    '{"message":"query cannot be empty","error":"empty_query"}',
  );
  const noType = await get('?source_id=a', `bearer ${token.accessToken}`);
  assert.equal(noType, {
    status: 400,
    type: 'text/plain; charset=utf-8',
    body: '{"message":"query must provide at least one envelope type","error":"missing_envelope_type"}',
  });
  assert.is((await get('?gauge', `bearer ${token.accessToken}`, 'POST')).status, 405);
  unavailable = true;
  assert.equal(await get('?gauge', `bearer ${token.accessToken}`), {
    status: 503,
    type: 'text/plain; charset=utf-8',
    body: '{"message":"streaming is temporarily unavailable","error":"streaming_unavailable"}',
  });
  registry.expire(token.accessToken);
  unavailable = false;
  assert.equal(await get('?gauge', `bearer ${token.accessToken}`), notFound);
});

wire('drops batches for a consumer that stops reading, as the real gateway does, instead of holding them', async () => {
  const gw = await start({ heartbeatMs: 60_000, maxUnsentBytes: 64 * 1024 });
  const url = new URL(gw.url);
  // A consumer that sends its request and never reads a byte of the answer.
  const socket = createConnection(Number(url.port), url.hostname);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.pause();
  socket.write(`GET /v2/read?source_id=${FIXTURE_APP_ID}&gauge HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
  await until(() => gw.streams().length === 1, 'the stream');
  // The socket buffers of loopback take some megabytes first.
  for (let round = 0; round < 2_000 && gw.droppedWrites() === 0; round++) {
    for (let i = 0; i < 100; i++) gw.publish(sampleEnvelopes(0));
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.ok(gw.droppedWrites() > 0, 'batches were dropped');
  socket.destroy();
});

wire.run();
