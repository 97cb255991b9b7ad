import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { setTimeout as sleep, setImmediate as tick } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { Subject } from 'rxjs';
import { silentLogger } from '../../../../lib/adapters/log/logger.ts';
import { parse } from '../../../../lib/core/json/bigint-json.ts';
import { attachDecisionStream } from '../../../../lib/adapters/live/decision-stream.ts';
import type { DecisionStream, DecisionStreamOptions } from '../../../../lib/adapters/live/decision-stream.ts';
import type { Decision } from '../../../../lib/core/model/decision.ts';
import type { Trigger } from '../../../../lib/core/model/policy.ts';

const AT = 1_700_000_000_123_456_789n; // beyond 2^53: must arrive exact
const trigger = (appId: string): Trigger => ({
  appId,
  metricType: 'memoryused',
  metricUnit: 'MB',
  breachDurationSecs: 120,
  threshold: 80n,
  operator: '>',
  coolDownSecs: 300,
  adjustment: '+1',
});
const breach = (appId: string, seq = 0): Decision => ({
  kind: 'breach',
  at: AT + BigInt(seq),
  appId,
  ruleIndex: 0,
  trigger: trigger(appId),
  values: ['81', '90'],
});
const result = (appId: string): Decision => ({
  kind: 'scaling-result',
  at: AT,
  appId,
  trigger: trigger(appId),
  ok: true,
  status: 200,
  cooldownExpiredAt: AT + 300_000_000_000n,
  adjustment: 1,
});
const metric = (appId: string): Decision => ({
  kind: 'metric',
  at: AT,
  metric: { appId, name: 'memoryused', unit: 'MB', value: '81', timestamp: AT },
});

const TOKEN = 'Bearer let-me-in';
const authenticate = (req: IncomingMessage) =>
  req.headers.authorization === TOKEN ? { ok: true as const } : { ok: false as const, reason: 'no valid credentials' };

interface Ctx {
  server: Server;
  url: string;
  decision$: Subject<Decision>;
  stream?: DecisionStream;
  sockets: WebSocket[];
}

const start = async (ctx: Ctx, options: Partial<DecisionStreamOptions> = {}) => {
  ctx.stream = attachDecisionStream({
    server: ctx.server,
    decision$: ctx.decision$,
    authenticate,
    logger: silentLogger(),
    heartbeatMs: 60_000,
    ...options,
  });
};

const open = (
  ctx: Ctx,
  query = '',
  headers: Record<string, string> = { authorization: TOKEN },
  extra: ConstructorParameters<typeof WebSocket>[2] = {},
) => {
  const ws = new WebSocket(`${ctx.url}/v1/decisions${query}`, { headers, ...extra });
  ctx.sockets.push(ws);
  const messages: Record<string, unknown>[] = [];
  ws.on('message', (data) => messages.push(parse(String(data)) as Record<string, unknown>));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return { ws, messages, opened };
};

/** The HTTP answer to an upgrade request that must not be upgraded. */
const refused = (ctx: Ctx, query: string, headers: Record<string, string>) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const ws = new WebSocket(`${ctx.url}/v1/decisions${query}`.replace('/v1/decisions/other', '/other'), { headers });
    ws.on('open', () => reject(new Error('upgraded')));
    ws.on('error', () => {});
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });

const waitFor = async (what: string, check: () => boolean, withinMs = 3000): Promise<void> => {
  const startAt = Date.now();
  while (!check()) {
    if (Date.now() - startAt > withinMs) throw new Error(`timed out after ${withinMs} ms waiting for: ${what}`);
    await sleep(5);
  }
};

const test = suite<Ctx>('attachDecisionStream');

test.before.each(async (ctx) => {
  ctx.server = createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => ctx.server.listen(0, '127.0.0.1', r));
  ctx.url = `ws://127.0.0.1:${(ctx.server.address() as { port: number }).port}`;
  ctx.decision$ = new Subject();
  ctx.sockets = [];
});
test.after.each(async (ctx) => {
  for (const ws of ctx.sockets) ws.terminate();
  await ctx.stream?.close();
  ctx.server.closeAllConnections();
  await new Promise((r) => ctx.server.close(r));
});

test('greets a subscriber, then streams every decision as JSON with exact ns integers', async (ctx) => {
  await start(ctx);
  const c = open(ctx);
  await c.opened;
  await waitFor('the greeting', () => c.messages.length === 1);
  ctx.decision$.next(breach('app-1'));
  ctx.decision$.next(result('app-2'));
  await waitFor('two decisions', () => c.messages.length === 3);
  assert.equal(c.messages[0], {
    kind: 'subscribed',
    at: c.messages[0]!.at,
    appIds: null,
    kinds: null,
    maxBuffered: 1000,
  });
  assert.is(c.messages[1]!.at, AT);
  assert.equal((c.messages[1]!.trigger as Record<string, unknown>).threshold, 80);
  assert.equal(c.messages[2], {
    kind: 'scaling-result',
    at: AT,
    appId: 'app-2',
    trigger: c.messages[2]!.trigger,
    ok: true,
    status: 200,
    cooldownExpiredAt: AT + 300_000_000_000n,
    adjustment: 1,
  });
  assert.is(ctx.stream!.clients(), 1);
});

test('sends each client only the apps and kinds it asked for', async (ctx) => {
  await start(ctx);
  const byApp = open(ctx, '?app_id=app-1&app_id=app-3');
  const byKind = open(ctx, '?kinds=breach,metric');
  const both = open(ctx, '?app_id=app-2&kinds=metric');
  await Promise.all([byApp.opened, byKind.opened, both.opened]);
  await waitFor('greetings', () => [byApp, byKind, both].every((c) => c.messages.length === 1));
  for (const d of [
    breach('app-1'),
    result('app-1'),
    metric('app-2'),
    breach('app-2'),
    result('app-3'),
    metric('app-4'),
  ])
    ctx.decision$.next(d);
  ctx.decision$.next(breach('app-3', 99));
  await waitFor(
    'the last decision',
    () => byApp.messages.some((m) => m.at === AT + 99n) && byKind.messages.some((m) => m.at === AT + 99n),
  );
  const summary = (c: { messages: Record<string, unknown>[] }) =>
    c.messages.slice(1).map((m) => `${m.kind}:${m.appId ?? (m.metric as { appId: string }).appId}`);
  assert.equal(summary(byApp), ['breach:app-1', 'scaling-result:app-1', 'scaling-result:app-3', 'breach:app-3']);
  assert.equal(summary(byKind), ['breach:app-1', 'metric:app-2', 'breach:app-2', 'metric:app-4', 'breach:app-3']);
  assert.equal(summary(both), ['metric:app-2']);
  assert.equal(byApp.messages[0]!.appIds, ['app-1', 'app-3']);
  assert.equal(byKind.messages[0]!.kinds, ['breach', 'metric']);
});

test('answers 401 before upgrading when authentication fails, and never subscribes', async (ctx) => {
  let seen: IncomingMessage | undefined;
  await start(ctx, {
    authenticate: (req) => {
      seen = req;
      return authenticate(req);
    },
  });
  assert.equal(await refused(ctx, '', { authorization: 'Bearer wrong' }), { status: 401, body: 'Unauthorized\n' });
  assert.equal(await refused(ctx, '', {}), { status: 401, body: 'Unauthorized\n' });
  assert.is(seen?.headers.authorization, undefined);
  assert.is(ctx.stream!.clients(), 0);
  assert.is(ctx.decision$.observed, false);
});

test('refuses a bad filter with 400 and the reason, and a path it does not serve with 404', async (ctx) => {
  await start(ctx);
  const kinds = await refused(ctx, '?kinds=breach,bogus', { authorization: TOKEN });
  assert.is(kinds.status, 400);
  assert.match(kinds.body, /unknown kind\(s\) bogus; known: metric, breach/);
  const app = await refused(ctx, '?app_id=', { authorization: TOKEN });
  assert.is(app.status, 400);
  assert.match(app.body, /app_id must be 1 to 50 characters/);
  assert.is((await refused(ctx, '/other', { authorization: TOKEN })).status, 404);
});

test('answers 500 and keeps serving when authentication throws', async (ctx) => {
  let calls = 0;
  await start(ctx, {
    authenticate: (req) => {
      if (calls++ === 0) throw new Error('certificate parser crashed');
      return authenticate(req);
    },
  });
  assert.is((await refused(ctx, '', { authorization: TOKEN })).status, 500);
  await open(ctx).opened;
  assert.is(ctx.stream!.clients(), 1);
});

test('refuses clients beyond maxClients with 503', async (ctx) => {
  await start(ctx, { maxClients: 1 });
  await open(ctx).opened;
  const r = await refused(ctx, '', { authorization: TOKEN });
  assert.is(r.status, 503);
  assert.match(r.body, /too many clients \(max 1\)/);
});

test('keeps memory bounded for a client that stops reading, then tells it how many events it missed', async (ctx) => {
  // given a client that does not read, and small limits
  const maxBuffered = 50;
  const maxBufferedBytes = 64 * 1024;
  await start(ctx, { maxBuffered, maxBufferedBytes });
  const slow = open(ctx);
  await slow.opened;
  await waitFor('the greeting', () => slow.messages.length === 1);
  slow.ws.pause();
  // when far more is sent than kernel buffers hold (about 30 MB), in batches so sockets can drain
  const total = 100_000;
  let peakQueued = 0;
  let peakBytes = 0;
  for (let seq = 0; seq < total; seq++) {
    ctx.decision$.next(breach('app-1', seq));
    if (seq % 500 === 499) {
      const [s] = ctx.stream!.stats();
      peakQueued = Math.max(peakQueued, s!.queued);
      peakBytes = Math.max(peakBytes, s!.bufferedAmount);
      await tick();
    }
  }
  // then the server held at most maxBuffered messages and about maxBufferedBytes for it
  const [lagging] = ctx.stream!.stats();
  assert.ok(lagging!.dropping > 0, 'the client was lagging');
  assert.ok(peakQueued <= maxBuffered, `queued ${peakQueued}`);
  assert.ok(peakBytes < maxBufferedBytes + 1024, `buffered ${peakBytes} bytes`);
  // when the client reads again
  slow.ws.resume();
  ctx.decision$.next(breach('app-1', total));
  await waitFor('the dropped notice', () => slow.messages.some((m) => m.kind === 'dropped'), 10_000);
  ctx.decision$.next(breach('app-1', total + 1));
  await waitFor('the event after the notice', () => slow.messages.at(-1)?.at === AT + BigInt(total + 1), 10_000);
  // then every event was either delivered in order or counted in exactly one notice, at the gap
  const events = slow.messages
    .slice(1)
    .filter((m) => m.kind === 'breach')
    .map((m) => Number((m.at as bigint) - AT));
  const notices = slow.messages.filter((m) => m.kind === 'dropped');
  assert.is(notices.length, 1);
  const dropped = notices[0]!.count as number;
  assert.is(events.length + dropped, total + 2);
  assert.ok(
    events.every((seq, i) => i === 0 || seq > events[i - 1]!),
    'in order',
  );
  const noticeAt = slow.messages.indexOf(notices[0]!);
  const before = Number((slow.messages[noticeAt - 1]!.at as bigint) - AT);
  const after = Number((slow.messages[noticeAt + 1]!.at as bigint) - AT);
  assert.is(after - before - 1, dropped, 'the notice stands where the events are missing');
  assert.is(ctx.stream!.stats()[0]!.dropping, 0);
});

test('delivers everything without a notice to a client that keeps up', async (ctx) => {
  await start(ctx, { maxBuffered: 10 });
  const c = open(ctx);
  await c.opened;
  for (let seq = 0; seq < 2000; seq++) {
    ctx.decision$.next(breach('app-1', seq));
    if (seq % 50 === 49) await tick();
  }
  await waitFor('all events', () => c.messages.length === 2001, 10_000);
  assert.ok(c.messages.every((m) => m.kind !== 'dropped'));
});

test('terminates a client that does not answer pings, and keeps one that does', async (ctx) => {
  await start(ctx, { heartbeatMs: 100 });
  const deaf = open(ctx, '', { authorization: TOKEN }, { autoPong: false });
  const fine = open(ctx);
  await Promise.all([deaf.opened, fine.opened]);
  const closed = new Promise<number>((r) => deaf.ws.once('close', (code) => r(code)));
  await waitFor('the deaf client to be cut off', () => ctx.stream!.clients() === 1, 2000);
  assert.is(await closed, 1006);
  await sleep(350);
  assert.is(fine.ws.readyState, WebSocket.OPEN);
  assert.is(ctx.stream!.clients(), 1);
});

test('closes clients with 1001 when the decision stream ends or the server closes', async (ctx) => {
  await start(ctx);
  const a = open(ctx);
  await a.opened;
  const code = new Promise<number>((r) => a.ws.once('close', (c) => r(c)));
  ctx.decision$.complete();
  assert.is(await code, 1001);
  ctx.decision$ = new Subject();
  await ctx.stream!.close();
  await start(ctx);
  const b = open(ctx);
  await b.opened;
  const codeB = new Promise<number>((r) => b.ws.once('close', (c) => r(c)));
  await ctx.stream!.close();
  assert.is(await codeB, 1001);
  assert.is(ctx.stream!.clients(), 0);
  assert.is(ctx.decision$.observed, false);
});

test.run();
