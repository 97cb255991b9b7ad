import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import type { Subscription } from 'rxjs';
import { createRlpStreamClient } from '../../../../lib/adapters/logcache/rlp-stream-client.ts';
import type { RlpStreamClientOptions } from '../../../../lib/adapters/logcache/rlp-stream-client.ts';
import { createClientCredentialsProvider } from '../../../../lib/adapters/uaa/client-credentials-provider.ts';
import { startRlpGatewayServer } from '../../../../lib/tools/simulation/rlp-gateway-server.ts';
import type { RlpGatewayOptions, RlpGatewayServer } from '../../../../lib/tools/simulation/rlp-gateway-server.ts';
import { startUaaServer } from '../../../../lib/tools/simulation/uaa-server.ts';
import type { UaaServer } from '../../../../lib/tools/simulation/uaa-server.ts';
import { startPeerServer } from '../../../../lib/tools/simulation/peer-server.ts';
import type { Envelope, StreamItem } from '../../../../lib/core/model/envelope.ts';
import { msToNs } from '../../../../lib/core/time/ns.ts';
import { rejection } from '../../../support/rejection.ts';
import { until } from '../../../support/until.ts';

const APP = '6e4b1f7a-3c2d-4b8e-9f10-2a7c5d9e8b41';
const OTHER = '0b5f2a9c-1d3e-4f60-8a7b-9c0d1e2f3a4b';
const T0 = 1731578415123456789n;
const gauge = (sourceId: string, ts: bigint, cpu: number): Envelope => ({
  timestamp: ts,
  sourceId,
  instanceId: '0',
  tags: { origin: 'rep' },
  gauge: { cpu: { unit: 'percentage', value: cpu }, memory: { unit: 'bytes', value: 1024 } },
});

const closers: Array<{ close(): Promise<void> }> = [];
const subscriptions: Subscription[] = [];
const closeAll = async () => {
  for (const s of subscriptions.splice(0)) s.unsubscribe();
  await Promise.all(closers.splice(0).map((s) => s.close()));
};

const setup = async (gateway: RlpGatewayOptions = {}, client: Partial<RlpStreamClientOptions> = {}) => {
  const uaa: UaaServer = await startUaaServer({
    clients: [{ id: 'eg', secret: 's', grants: ['client_credentials'], scopes: ['logs.admin'] }],
  });
  closers.push(uaa);
  const gw: RlpGatewayServer = await startRlpGatewayServer({ requireToken: (t) => uaa.registry.check(t), ...gateway });
  closers.push(gw);
  const auth = createClientCredentialsProvider({
    url: uaa.url,
    clientId: 'eg',
    clientSecret: 's',
    now: () => msToNs(Date.now()),
  });
  const { stream } = createRlpStreamClient({
    url: gw.url,
    auth,
    connectTimeoutMs: 2000,
    idleTimeoutMs: 5000,
    ...client,
  });
  return { uaa, gw, stream };
};

/** Subscribes and collects items; `ended` settles when the stream completes or errors. */
const collect = (observable: ReturnType<ReturnType<typeof createRlpStreamClient>['stream']>) => {
  const items: StreamItem[] = [];
  let error: unknown;
  let completed = false;
  const ended = new Promise<void>((resolve) => {
    subscriptions.push(
      observable.subscribe({
        next: (i) => items.push(i),
        error: (e: unknown) => {
          error = e;
          resolve();
        },
        complete: () => {
          completed = true;
          resolve();
        },
      }),
    );
  });
  return { items, ended, error: () => error, completed: () => completed };
};

const batches = (items: StreamItem[]) =>
  items.flatMap((i) => (i.kind === 'batch' ? [i.envelopes.map((e) => [e.sourceId, e.timestamp])] : []));

const stream = suite('RLP stream client');
stream.after.each(closeAll);

stream('asks for the source ids and gauges with a lowercase bearer token, and delivers batches', async () => {
  const { gw, stream: open } = await setup({ heartbeatMs: 30 });
  const s = collect(open([APP, OTHER]));
  await until('the stream to open', 2000, () => (gw.streams().length === 1 ? true : undefined), 10);
  const request = gw.requests[0];
  assert.equal(request?.params.getAll('source_id'), [APP, OTHER]);
  assert.ok(request?.params.has('gauge'));
  assert.match(request?.authorization ?? '', /^bearer eyJ/);
  gw.publish([gauge(APP, T0, 1), gauge('not-asked', T0, 9)]);
  // Heartbeats in between change nothing.
  await new Promise((r) => setTimeout(r, 100));
  gw.publish([gauge(OTHER, T0 + 1n, 2)]);
  await until('two batches', 2000, () => (batches(s.items).length === 2 ? true : undefined), 10);
  assert.is(s.items[0]?.kind, 'open');
  assert.equal(batches(s.items), [[[APP, T0]], [[OTHER, T0 + 1n]]]);
  assert.equal(
    s.items.map((i) => i.kind),
    ['open', 'batch', 'batch'],
  );
});

stream('passes closing on and completes when the gateway ends the stream', async () => {
  const { gw, stream: open } = await setup({ streamTimeoutMs: 150 });
  const s = collect(open([APP]));
  await until('the stream to open', 2000, () => (gw.streams().length === 1 ? true : undefined), 10);
  gw.publish([gauge(APP, T0, 1)]);
  await s.ended;
  assert.ok(s.completed());
  assert.equal(
    s.items.map((i) => i.kind),
    ['open', 'batch', 'closing'],
  );
  assert.equal(s.items[2], { kind: 'closing', reason: 'closing due to stream timeout' });
});

stream('completes without closing when the connection is cut (EOF)', async () => {
  const { gw, stream: open } = await setup();
  const s = collect(open([APP]));
  await until('the stream to open', 2000, () => (gw.streams().length === 1 ? true : undefined), 10);
  gw.dropStreams();
  await s.ended;
  // A cut mid-stream is an error of the body read or a plain end, never a closing item.
  assert.not.ok(s.items.some((i) => i.kind === 'closing'));
});

stream('reports malformed data and a bad envelope, and keeps the rest of the batch and the stream', async () => {
  const { gw, stream: open } = await setup();
  const s = collect(open([APP]));
  await until('the stream to open', 2000, () => (gw.streams().length === 1 ? true : undefined), 10);
  gw.sendRaw('data: {"batch":[{"timestamp":"1"\n\n');
  gw.sendRaw(
    'data: {"batch":[{"source_id":"x"},{"timestamp":"5","source_id":"6e4b1f7a-3c2d-4b8e-9f10-2a7c5d9e8b41","instance_id":"0","gauge":{"metrics":{"cpu":{"unit":"percentage","value":3}}}}]}\n\n',
  );
  gw.publish([gauge(APP, T0, 1)]);
  await until('three items after open', 2000, () => (s.items.length === 4 ? true : undefined), 10);
  const [, malformed, partial, whole] = s.items;
  assert.is(malformed?.kind, 'malformed');
  assert.match(malformed?.kind === 'malformed' ? malformed.reason : '', /stream data is not JSON/);
  assert.ok(partial?.kind === 'batch' && partial.envelopes.length === 1 && partial.rejected[0]?.index === 0);
  assert.ok(whole?.kind === 'batch' && whole.envelopes[0]?.timestamp === T0);
});

stream('refreshes the token once on 404, then fails naming the gateway answer', async () => {
  const { uaa, gw, stream: open } = await setup();
  // An expired token: refreshed once, then the stream opens.
  await firstValueFrom(open([APP]));
  uaa.registry.expire();
  const issued = uaa.registry.issuedCount();
  const s = collect(open([APP]));
  await until('the stream to open', 2000, () => (s.items.length === 1 ? true : undefined), 10);
  assert.is(uaa.registry.issuedCount(), issued + 1);
  assert.ok(gw.requests.some((r) => r.status === 404));
  // A gateway that refuses every token: one refresh, then a clear error.
  const refusing = await startRlpGatewayServer({ requireToken: () => 'invalid' });
  closers.push(refusing);
  const auth = createClientCredentialsProvider({ url: uaa.url, clientId: 'eg', clientSecret: 's', now: () => 0n });
  const client = createRlpStreamClient({ url: refusing.url, auth, connectTimeoutMs: 2000, idleTimeoutMs: 5000 });
  const err = await rejection(lastValueFrom(client.stream([APP])));
  assert.is(err['failure'], 'status');
  assert.is(err['status'], 404);
  assert.match(
    err.message,
    /RLP gateway GET http:\/\/127\.0\.0\.1:\d+\/v2\/read \(1 source id\) answered 404 \(after a token refresh\): not_found: resource not found/,
  );
  assert.is(refusing.requests.length, 2);
});

stream('fails on 503 and 400 with the gateway error, and on a connection refused', async () => {
  const { stream: open } = await setup({ decide: () => 'unavailable' });
  const unavailable = await rejection(lastValueFrom(open([APP])));
  assert.is(unavailable['status'], 503);
  assert.match(unavailable.message, /answered 503: streaming_unavailable: streaming is temporarily unavailable/);
  const open404 = await startRlpGatewayServer();
  closers.push(open404);
  const bad = createRlpStreamClient({ url: open404.url, connectTimeoutMs: 2000, idleTimeoutMs: 5000, types: [] });
  const noType = await rejection(lastValueFrom(bad.stream([APP])));
  assert.is(noType['status'], 400);
  assert.match(noType.message, /answered 400: missing_envelope_type: query must provide at least one envelope type/);
  const closed = await startPeerServer(() => undefined);
  const url = closed.url;
  await closed.close();
  const nowhere = createRlpStreamClient({ url, connectTimeoutMs: 2000, idleTimeoutMs: 5000 });
  const refused = await rejection(lastValueFrom(nowhere.stream([APP])));
  assert.is(refused['failure'], 'transport');
  assert.match(refused.message, /ECONNREFUSED/);
});

stream('bounds the wait for the answer, not the life of the stream', async () => {
  const { gw, stream: open } = await setup({ heartbeatMs: 40 }, { connectTimeoutMs: 100 });
  const s = collect(open([APP]));
  await until('the stream to open', 2000, () => (gw.streams().length === 1 ? true : undefined), 10);
  await new Promise((r) => setTimeout(r, 300));
  gw.publish([gauge(APP, T0, 1)]);
  await until('a batch', 2000, () => (batches(s.items).length === 1 ? true : undefined), 10);
  assert.is(s.error(), undefined);
  const hanging = await startPeerServer(() => new Promise<void>(() => undefined));
  closers.push(hanging);
  const client = createRlpStreamClient({ url: hanging.url, connectTimeoutMs: 100, idleTimeoutMs: 5000 });
  const err = await rejection(lastValueFrom(client.stream([APP])));
  assert.is(err['failure'], 'transport');
  assert.match(err.message, /\(1 source id\) gave no answer within 100 ms$/);
});

stream('fails a stream that goes silent past the idle bound', async () => {
  const { gw, stream: open } = await setup({ heartbeatMs: 60_000 }, { idleTimeoutMs: 150 });
  const s = collect(open([APP]));
  await s.ended;
  assert.is(gw.requests.length, 1);
  assert.is((s.error() as Record<string, unknown>)['failure'], 'idle');
  assert.match(String((s.error() as Error).message), /sent nothing, not even a heartbeat, for 150 ms/);
});

stream('a non-stream answer is an error, not an empty stream', async () => {
  const html = await startPeerServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html>gateway</html>');
  });
  closers.push(html);
  const client = createRlpStreamClient({ url: html.url, connectTimeoutMs: 2000, idleTimeoutMs: 5000 });
  const err = await rejection(lastValueFrom(client.stream([APP]).pipe(toArray())));
  assert.is(err['failure'], 'not-a-stream');
  assert.match(err.message, /answered 200 with text\/html, not an event stream: <html>gateway<\/html>/);
});

stream.run();
