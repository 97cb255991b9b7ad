import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom } from 'rxjs';
import postgres from 'postgres';
import { createMetricCache } from '../../../../lib/core/evaluation/metric-cache.ts';
import { createAppMetricStore } from '../../../../lib/adapters/stores/app-metric-store.ts';
import type { AppMetricStore } from '../../../../lib/adapters/stores/app-metric-store.ts';
import { createQueryAppMetrics } from '../../../../lib/adapters/stores/query-app-metrics.ts';
import type { AppMetric, SortOrder } from '../../../../lib/core/model/app-metric.ts';
import { createMetricWindow } from '../../../../lib/core/model/metric-window.ts';
import { openTestDatabase } from '../../../support/database.ts';

type TestDb = Awaited<ReturnType<typeof openTestDatabase>>;

const metric = (ts: number, name = 't', appId = 'app'): AppMetric => ({
  appId,
  name,
  unit: 'u',
  value: String(ts),
  timestamp: BigInt(ts),
});
const stamps = (ms: readonly AppMetric[]): number[] => ms.map((m) => Number(m.timestamp));

interface Ctx {
  db: TestDb;
  store: AppMetricStore;
  calls: { appId: string; start: bigint; end: bigint; order: SortOrder }[];
  clock: bigint;
}

/** The real store, with its retrieve calls recorded so a test can tell cache answers from database answers. */
const setup = async (ctx: Ctx) => {
  await ctx.db.sql`DELETE FROM app_metric`;
  ctx.clock = 1_000n;
  const real = createAppMetricStore(ctx.db.sql, { now: () => ctx.clock });
  ctx.calls = [];
  ctx.store = {
    ...real,
    retrieve(appId, metricType, start, end, order) {
      ctx.calls.push({ appId, start, end, order });
      return real.retrieve(appId, metricType, start, end, order);
    },
  };
};

const build = (ctx: Ctx, apps: string[], capacity = 3) => {
  const cache = createMetricCache({ capacityPerApp: capacity });
  cache.sync(apps);
  const query = createQueryAppMetrics({ cache, store: ctx.store, now: () => ctx.clock });
  return { cache, query };
};

/** Saves to the database and the cache, as the metric pipeline does. */
const saveBoth = async (ctx: Ctx, cache: ReturnType<typeof createMetricCache>, metrics: AppMetric[]) => {
  await ctx.store.saveBulk(metrics);
  for (const m of metrics) cache.put(m);
};

const test = suite<Ctx>('createQueryAppMetrics', {} as Ctx);
test.before(async (ctx) => {
  ctx.db = await openTestDatabase();
});
test.after(async (ctx) => {
  await ctx.db.close();
});
test.before.each(setup);

test('answers from the cache on a hit and from the database on a miss', async (ctx) => {
  // given
  const { cache, query } = build(ctx, ['app']);
  await saveBoth(
    ctx,
    cache,
    [100, 200, 300, 400].map((ts) => metric(ts)),
  );
  assert.equal(stamps(cache.entries('app')!), [200, 300, 400]);
  // when / then
  assert.equal(stamps(await firstValueFrom(query('app', 't', 300n, 500n, 'ASC'))), [300, 400]);
  assert.is(ctx.calls.length, 0);
  assert.equal(stamps(await firstValueFrom(query('app', 't', 100n, 200n, 'ASC'))), [100, 200]);
  assert.equal(ctx.calls, [{ appId: 'app', start: 100n, end: 200n, order: 'ASC' }]);
});

test('reverses a hit for DESC', async (ctx) => {
  const { cache, query } = build(ctx, ['app']);
  await saveBoth(
    ctx,
    cache,
    [100, 200, 300, 400].map((ts) => metric(ts)),
  );
  assert.equal(stamps(await firstValueFrom(query('app', 't', 300n, 500n, 'DESC'))), [400, 300]);
  assert.is(ctx.calls.length, 0);
});

test('reads end -1 as now, with the cache bound at now + 1 ns', async (ctx) => {
  const { cache, query } = build(ctx, ['app'], 5);
  ctx.clock = 450n;
  for (const ts of [100, 449, 450, 451]) cache.put(metric(ts));
  assert.equal(stamps(await firstValueFrom(query('app', 't', 100n, -1n, 'ASC'))), [100, 449, 450]);
  assert.is(ctx.calls.length, 0);
});

test('reads every negative end as now on the cache path too', async (ctx) => {
  const { cache, query } = build(ctx, ['app'], 5);
  ctx.clock = 450n;
  for (const ts of [100, 450, 451]) cache.put(metric(ts));
  assert.equal(stamps(await firstValueFrom(query('app', 't', 100n, -7n, 'ASC'))), [100, 450]);
  assert.equal(stamps(await firstValueFrom(query('app', 't', 0n, -7n, 'ASC'))), []);
  assert.equal(
    ctx.calls.map((c) => c.end),
    [450n],
    'the miss passes the resolved end to the database',
  );
});

test('uses the database for an app outside this instance', async (ctx) => {
  const { query } = build(ctx, ['app']);
  await ctx.store.saveBulk([metric(100, 't', 'other'), metric(200, 't', 'other')]);
  assert.equal(stamps(await firstValueFrom(query('other', 't', 0n, -1n, 'DESC'))), [200, 100]);
  assert.is(ctx.calls.length, 1);
});

test('uses the database while the cache is empty', async (ctx) => {
  const { query } = build(ctx, ['app']);
  await ctx.store.saveBulk([metric(100), metric(200)]);
  assert.equal(stamps(await firstValueFrom(query('app', 't', 100n, 200n, 'ASC'))), [100, 200]);
  assert.is(ctx.calls.length, 1);
});

test('returns an empty hit without falling back to the database', async (ctx) => {
  const { cache, query } = build(ctx, ['app']);
  await saveBoth(ctx, cache, [metric(100, 'cpu'), metric(200, 't')]);
  ctx.calls.length = 0;
  assert.equal(await firstValueFrom(query('app', 't', 100n, 150n, 'ASC')), []);
  assert.is(ctx.calls.length, 0);
});

test('cached answers a hit at once and leaves a miss to the Observable', async (ctx) => {
  const { cache, query } = build(ctx, ['app']);
  await saveBoth(
    ctx,
    cache,
    [100, 200, 300, 400].map((ts) => metric(ts)),
  );
  assert.equal(stamps(query.cached?.('app', 't', 300n, 500n, 'DESC') ?? []), [400, 300]);
  assert.is(query.cached?.('app', 't', 100n, 200n, 'ASC'), undefined);
  assert.is(ctx.calls.length, 0, 'cached never reads the database');
});

test('window answers a hit at once, aged from the upper bound or now, and leaves a miss to the Observable', async (ctx) => {
  const { cache, query } = build(ctx, ['app']);
  await saveBoth(
    ctx,
    cache,
    [100, 200, 300, 400].map((ts) => metric(ts)),
  );
  const window = createMetricWindow();
  assert.ok(query.window?.('app', 't', 300n, 2_000_400n, window));
  assert.equal(
    { length: window.length, ages: window.ageMs.slice(0, 2), rests: window.ageRestNs.slice(0, 2) },
    { length: 2, ages: [2, 2], rests: [100, 0] },
  );
  assert.equal(window.texts.slice(0, 2), ['300', '400']);
  ctx.clock = 1_000_400n;
  assert.ok(query.window?.('app', 't', 300n, -1n, window));
  assert.equal(window.ageMs.slice(0, window.length), [1, 1]);
  assert.not.ok(query.window?.('app', 't', 100n, 200n, window));
  assert.is(window.length, 0);
  assert.is(ctx.calls.length, 0, 'window never reads the database');
});

test('does nothing until subscribed and reads the clock at subscription', async (ctx) => {
  const { query } = build(ctx, ['app']);
  await ctx.store.saveBulk([metric(500)]);
  const rows$ = query('app', 't', 0n, -1n, 'ASC');
  assert.is(ctx.calls.length, 0);
  ctx.clock = 600n;
  assert.equal(stamps(await firstValueFrom(rows$)), [500]);
  assert.is(ctx.calls[0]?.end, 600n);
});

test('errors the stream when the database cannot be reached', async (ctx) => {
  // A server that refuses connections: nothing listens on port 1.
  const dead = postgres('postgres://postgres@127.0.0.1:1/none', { max: 1, connect_timeout: 2, onnotice: () => {} });
  const cache = createMetricCache({ capacityPerApp: 3 });
  const query = createQueryAppMetrics({
    cache,
    store: createAppMetricStore(dead, { now: () => ctx.clock }),
    now: () => ctx.clock,
  });
  try {
    await firstValueFrom(query('app', 't', 0n, -1n, 'ASC'));
    assert.unreachable('the read succeeded');
  } catch (err) {
    assert.instance(err, Error);
    assert.match((err as NodeJS.ErrnoException).code ?? '', /ECONNREFUSED/);
  } finally {
    await dead.end({ timeout: 1 });
  }
});

test.run();
