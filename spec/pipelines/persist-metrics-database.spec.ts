import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Subject,
  asyncScheduler,
  defer,
  firstValueFrom,
  filter,
  lastValueFrom,
  share,
  timeout,
  toArray,
  ReplaySubject,
} from 'rxjs';
import postgres from 'postgres';
import { persistMetrics } from '../../pipelines/persist-metrics.ts';
import type { PersistEvent } from '../../pipelines/persist-metrics.ts';
import { createAppMetricStore } from '../../lib/adapters/stores/app-metric-store.ts';
import type { AppMetricStore } from '../../lib/adapters/stores/app-metric-store.ts';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import { openTestDatabase, databaseKind } from '../support/database.ts';

type TestDb = Awaited<ReturnType<typeof openTestDatabase>>;
interface Ctx {
  db: TestDb;
  store: AppMetricStore;
}

const metric = (appId: string, ts: bigint, name = 'memoryused'): AppMetric => ({
  appId,
  name,
  unit: 'MB',
  value: String(ts % 1000n),
  timestamp: ts,
});
const deps = (store: AppMetricStore) => ({
  scheduler: asyncScheduler,
  save: (batch: readonly AppMetric[]) => defer(() => store.saveBulk(batch)),
  flushIntervalMs: 50,
  maxBatchSize: 100,
  maxPending: 1000,
  retry: { initialMs: 20, maxMs: 100 },
});

const rows = async (db: TestDb) =>
  (
    await db.sql<
      { app_id: string; metric_type: string; timestamp: bigint }[]
    >`SELECT app_id, metric_type, "timestamp" FROM app_metric ORDER BY app_id, "timestamp"`
  ).map((r) => `${r.app_id}/${r.metric_type}@${r.timestamp}`);

const test = suite<Ctx>(`persistMetrics on the ${databaseKind()} database`, {} as Ctx);
test.before(async (ctx) => {
  ctx.db = await openTestDatabase();
  ctx.store = createAppMetricStore(ctx.db.sql, { now: () => BigInt(Date.now()) * 1_000_000n });
});
test.before.each(async (ctx) => {
  await ctx.db.sql`DELETE FROM app_metric`;
});
test.after(async (ctx) => {
  await ctx.db.close();
});

test('saves a batch and rejects only its unstorable row', async (ctx) => {
  // given
  const appMetric$ = new Subject<AppMetric>();
  const events$ = persistMetrics({ appMetric$ }, deps(ctx.store)).pipe(
    share({ connector: () => new ReplaySubject<PersistEvent>() }),
  );
  const all = lastValueFrom(events$.pipe(toArray(), timeout(10_000)));
  const bad = metric('app-1', 2n, 'x'.repeat(150));
  // when
  for (const m of [metric('app-1', 1n), bad, metric('app-2', 3n), metric('app-1', 4n)]) appMetric$.next(m);
  const savedEvent = await firstValueFrom(
    events$.pipe(
      filter((e) => e.kind === 'saved'),
      timeout(5_000),
    ),
  );
  // then
  assert.equal(savedEvent, { kind: 'saved', count: 3 });
  assert.equal(await rows(ctx.db), ['app-1/memoryused@1', 'app-1/memoryused@4', 'app-2/memoryused@3']);
  appMetric$.complete();
  const events = await all;
  assert.equal(
    events.filter((e) => e.kind === 'rejected'),
    [{ kind: 'rejected', metric: bad, reason: 'metric_type longer than 100 characters' }],
  );
  assert.equal(
    events.filter((e) => e.kind === 'retrying' || e.kind === 'dropped'),
    [],
  );
});

test('writes everything still buffered when the source completes', async (ctx) => {
  const appMetric$ = new Subject<AppMetric>();
  const events = lastValueFrom(
    persistMetrics({ appMetric$ }, { ...deps(ctx.store), flushIntervalMs: 60_000 }).pipe(toArray(), timeout(10_000)),
  );
  for (let i = 1n; i <= 250n; i += 1n) appMetric$.next(metric('app-1', i));
  appMetric$.complete();
  const saved = (await events).filter((e) => e.kind === 'saved');
  assert.equal(saved, [
    { kind: 'saved', count: 100 },
    { kind: 'saved', count: 100 },
    { kind: 'saved', count: 50 },
  ]);
  assert.is((await rows(ctx.db)).length, 250);
});

test('retries while the database is unreachable and keeps the batch', async (ctx) => {
  // given a store whose server refuses connections (nothing listens on port 1)
  const dead = postgres('postgres://postgres@127.0.0.1:1/none', { max: 1, connect_timeout: 2, onnotice: () => {} });
  const deadStore = createAppMetricStore(dead, { now: () => 0n });
  let useDead = true;
  const save = (batch: readonly AppMetric[]) => defer(() => (useDead ? deadStore : ctx.store).saveBulk(batch));
  const appMetric$ = new Subject<AppMetric>();
  const events$ = persistMetrics({ appMetric$ }, { ...deps(ctx.store), save }).pipe(
    share({ connector: () => new ReplaySubject<PersistEvent>() }),
  );
  const done = lastValueFrom(events$.pipe(toArray(), timeout(10_000)));
  try {
    // when
    appMetric$.next(metric('app-1', 7n));
    const retrying = await firstValueFrom(
      events$.pipe(
        filter((e) => e.kind === 'retrying'),
        timeout(5_000),
      ),
    );
    useDead = false;
    appMetric$.complete();
    // then
    assert.equal(retrying.kind === 'retrying' && [retrying.attempt, retrying.pending], [1, 1]);
    assert.match(retrying.kind === 'retrying' ? retrying.error : '', /ECONNREFUSED|connect/);
    assert.equal((await done).at(-1), { kind: 'saved', count: 1 });
    assert.equal(await rows(ctx.db), ['app-1/memoryused@7']);
  } finally {
    await dead.end({ timeout: 1 });
  }
});

test.run();
