import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { Subject } from 'rxjs';
import type { Subscription } from 'rxjs';
import { silentLogger } from '../../../../lib/adapters/log/logger.ts';
import { attachDecisionStream } from '../../../../lib/adapters/live/decision-stream.ts';
import type { DecisionStream } from '../../../../lib/adapters/live/decision-stream.ts';
import { decisionFeed, feedUrl } from '../../../../lib/adapters/live/decision-feed.ts';
import type { FeedEvent } from '../../../../lib/adapters/live/decision-feed.ts';
import { isFeedRefusedError } from '../../../../lib/adapters/live/feed-refused-error.ts';
import type { Decision } from '../../../../lib/core/model/decision.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const state = (appId: string, n: number): Decision => ({
  kind: 'breaker-state',
  at: 1_700_000_000_000_000_000n + BigInt(n),
  appId,
  state: 'open',
  consecutiveFailures: n,
});
const authenticate = (req: IncomingMessage) =>
  req.headers.authorization === `Basic ${Buffer.from('op:secret').toString('base64')}` ||
  req.headers['x-forwarded-client-cert'] === 'cert'
    ? { ok: true as const }
    : { ok: false as const, reason: 'bad credentials' };

const waitFor = async (what: string, check: () => boolean, withinMs = 3000): Promise<void> => {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > withinMs) throw new Error(`timed out after ${withinMs} ms waiting for: ${what}`);
    await sleep(5);
  }
};

interface Ctx {
  server: Server;
  port: number;
  decision$: Subject<Decision>;
  stream: DecisionStream;
  sub?: Subscription;
  events: FeedEvent[];
  error?: unknown;
}

const listen = (
  ctx: Ctx,
  feed = decisionFeed({ url: `ws://op:secret@127.0.0.1:${ctx.port}/v1/decisions`, backoff: () => 50 }),
) => {
  ctx.sub = feed.subscribe({
    next: (e) => ctx.events.push(e),
    error: (err) => {
      ctx.error = err;
    },
  });
};
const messages = (ctx: Ctx) => ctx.events.flatMap((e) => (e.type === 'message' ? [e.message] : []));

const test = suite<Ctx>('decisionFeed');

test.before.each(async (ctx) => {
  ctx.server = createServer();
  await new Promise<void>((r) => ctx.server.listen(0, '127.0.0.1', r));
  ctx.port = (ctx.server.address() as { port: number }).port;
  ctx.decision$ = new Subject();
  ctx.stream = attachDecisionStream({
    server: ctx.server,
    decision$: ctx.decision$,
    authenticate,
    logger: silentLogger(),
    heartbeatMs: 60_000,
  });
  ctx.events = [];
  ctx.error = undefined;
});
test.after.each(async (ctx) => {
  ctx.sub?.unsubscribe();
  await ctx.stream.close();
  ctx.server.closeAllConnections();
  await new Promise((r) => ctx.server.close(r));
});

test('builds the query from app ids and kinds', () => {
  assert.is(
    feedUrl({ url: 'ws://h:1/v1/decisions', appIds: ['a', 'b'], kinds: ['breach', 'metric'] }),
    'ws://h:1/v1/decisions?app_id=a&app_id=b&kinds=breach%2Cmetric',
  );
});

test('opens with credentials from the URL and delivers the greeting and decisions', async (ctx) => {
  listen(ctx);
  await waitFor('the greeting', () => messages(ctx).length === 1);
  ctx.decision$.next(state('app-1', 1));
  await waitFor('a decision', () => messages(ctx).length === 2);
  assert.is(ctx.events[0]?.type, 'open');
  assert.is(messages(ctx)[1]?.at, 1_700_000_000_000_000_001n);
});

test('sends extra headers and filters on the server', async (ctx) => {
  listen(
    ctx,
    decisionFeed({
      url: `ws://127.0.0.1:${ctx.port}/v1/decisions`,
      headers: { 'X-Forwarded-Client-Cert': 'cert' },
      appIds: ['app-2'],
    }),
  );
  await waitFor('the greeting', () => messages(ctx).length === 1);
  ctx.decision$.next(state('app-1', 1));
  ctx.decision$.next(state('app-2', 2));
  await waitFor('a decision', () => messages(ctx).length === 2);
  assert.is(messages(ctx)[1]?.appId, 'app-2');
});

test('reconnects with backoff after the server goes away, and ends on a refusal instead of retrying', async (ctx) => {
  listen(ctx);
  await waitFor('connected', () => ctx.stream.clients() === 1);
  // the service restarts its stream: clients are closed with 1001
  await ctx.stream.close();
  ctx.stream = attachDecisionStream({
    server: ctx.server,
    decision$: ctx.decision$,
    authenticate,
    logger: silentLogger(),
    heartbeatMs: 60_000,
  });
  await waitFor('a retry', () => ctx.events.some((e) => e.type === 'retry'));
  await waitFor(
    'connected again',
    () => ctx.events.filter((e) => e.type === 'open').length === 2 && ctx.stream.clients() === 1,
  );
  const retry = ctx.events.find((e) => e.type === 'retry');
  assert.equal(retry && { attempt: retry.attempt, delayMs: retry.delayMs }, { attempt: 1, delayMs: 50 });
  assert.match(retry?.type === 'retry' ? retry.reason : '', /connection closed \(1001 server closing\)/);
  ctx.sub?.unsubscribe();

  ctx.events = [];
  listen(ctx, decisionFeed({ url: `ws://op:wrong@127.0.0.1:${ctx.port}/v1/decisions`, backoff: () => 50 }));
  await waitFor('the refusal', () => ctx.error !== undefined);
  assert.ok(isFeedRefusedError(ctx.error));
  assert.is((ctx.error as { status: number }).status, 401);
  assert.match((ctx.error as Error).message, /refused with status 401: Unauthorized: GET ws:\/\/op@127\.0\.0\.1/);
  assert.not.match((ctx.error as Error).message, /wrong/);
  assert.equal(
    ctx.events.filter((e) => e.type === 'retry'),
    [],
  );
});

test.run();
