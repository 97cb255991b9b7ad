import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createAppMetricStore } from '../../../../lib/adapters/stores/app-metric-store.ts';
import type { AppMetricStore } from '../../../../lib/adapters/stores/app-metric-store.ts';
import type { AppMetric } from '../../../../lib/core/model/app-metric.ts';
import { openTestDatabase } from '../../../support/database.ts';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;
interface Context {
  db: Db;
  store: AppMetricStore;
  now: bigint;
}

const metric = (timestamp: bigint, value: string, over: Partial<AppMetric> = {}): AppMetric => ({
  appId: 'an-app-id',
  name: 'a-metric-type',
  unit: 'a-unit',
  value,
  timestamp,
  ...over,
});

const store = suite<Context>('app-metric store');

store.before(async (context) => {
  context.db = await openTestDatabase();
  context.now = 1_700_000_000_000_000_000n;
  context.store = createAppMetricStore(context.db.sql, { now: () => context.now });
});
store.after(async ({ db }) => db.close());
store.before.each(async ({ db }) => {
  await db.sql`DELETE FROM app_metric`;
});

const seed = async ({ store: s }: Context) => {
  await s.saveBulk([metric(11111111n, '100'), metric(33333333n, '200'), metric(55555555n, '300')]);
};
const stamps = (rows: AppMetric[]) => rows.map((r) => r.timestamp);

store('an empty bulk save succeeds without touching the database', async ({ db, store: s }) => {
  await db.sql`DROP TABLE app_metric`;
  try {
    assert.equal(await s.saveBulk([]), { saved: 0, rejected: [] });
  } finally {
    await db.sql`CREATE TABLE app_metric (app_id varchar(255) NOT NULL, metric_type varchar(100) NOT NULL, unit varchar(20) NOT NULL, "timestamp" bigint NOT NULL, value varchar)`;
  }
});

store('saves every row of a bulk insert', async (context) => {
  const result = await context.store.saveBulk([metric(11111111n, '300'), metric(22222222n, '400')]);
  assert.equal(result, { saved: 2, rejected: [] });
  const rows = await context.store.retrieve('an-app-id', 'a-metric-type', 0n, -1n, 'ASC');
  assert.equal(
    rows.map((r) => [r.timestamp, r.value]),
    [
      [11111111n, '300'],
      [22222222n, '400'],
    ],
  );
});

store('keeps ns timestamps beyond 2^53 exact', async (context) => {
  const big = 1_731_578_400_123_456_789n;
  await context.store.saveBulk([metric(big, '1')]);
  const [row] = await context.store.retrieve('an-app-id', 'a-metric-type', big, big, 'ASC');
  assert.is(row?.timestamp, big);
});

store('rejects unstorable rows with a reason and saves the rest of their batch', async (context) => {
  const long = 'x'.repeat(150);
  const result = await context.store.saveBulk([
    metric(1n, '1', { name: long }),
    metric(2n, '2'),
    metric(3n, '3', { unit: 'u'.repeat(21) }),
  ]);
  assert.is(result.saved, 1);
  assert.equal(
    result.rejected.map((r) => r.reason),
    ['metric_type longer than 100 characters', 'unit longer than 20 characters'],
  );
  assert.equal(stamps(await context.store.retrieve('an-app-id', 'a-metric-type', 0n, -1n, 'ASC')), [2n]);
});

store('isolates a row the database refuses even when the pre-check lets it through', async (context) => {
  // A value with an invalid byte sequence cannot be caught by the length checks.
  const result = await context.store.saveBulk([metric(1n, '1'), metric(2n, 'bad\uD800'), metric(3n, '3')]);
  const saved = stamps(await context.store.retrieve('an-app-id', 'a-metric-type', 0n, -1n, 'ASC'));
  assert.is(result.saved + result.rejected.length, 3);
  assert.ok(saved.includes(1n) && saved.includes(3n), `rows 1 and 3 saved, got ${saved.join(',')}`);
});

store('releases pooled connections after many concurrent failing saves', async (context) => {
  const results = await Promise.all(
    Array.from({ length: 100 }, (_, i) => context.store.saveBulk([metric(BigInt(i), '1', { name: 'y'.repeat(150) })])),
  );
  assert.ok(results.every((r) => r.saved === 0 && r.rejected.length === 1));
  assert.equal(await context.store.saveBulk([metric(7n, '7')]), { saved: 1, rejected: [] });
});

store('retrieves all rows ascending with every field intact', async (context) => {
  await seed(context);
  const rows = await context.store.retrieve('an-app-id', 'a-metric-type', 0n, -1n, 'ASC');
  assert.equal(rows, [metric(11111111n, '100'), metric(33333333n, '200'), metric(55555555n, '300')]);
});

store('retrieves a range, descending, and with inclusive bounds', async (context) => {
  await seed(context);
  assert.equal(stamps(await context.store.retrieve('an-app-id', 'a-metric-type', 22222222n, 66666666n, 'ASC')), [
    33333333n,
    55555555n,
  ]);
  assert.equal(stamps(await context.store.retrieve('an-app-id', 'a-metric-type', 0n, -1n, 'DESC')), [
    55555555n,
    33333333n,
    11111111n,
  ]);
  assert.equal(stamps(await context.store.retrieve('an-app-id', 'a-metric-type', 33333333n, 55555555n, 'ASC')), [
    33333333n,
    55555555n,
  ]);
});

store('returns empty lists, never errors, for ranges and keys that match nothing', async (context) => {
  await seed(context);
  const s = context.store;
  assert.equal(await s.retrieve('an-app-id', 'a-metric-type', 0n, 11111110n, 'ASC'), []);
  assert.equal(await s.retrieve('an-app-id', 'a-metric-type', 55555556n, -1n, 'ASC'), []);
  assert.equal(await s.retrieve('an-app-id', 'a-metric-type', 33333333n, 22222222n, 'ASC'), []);
  assert.equal(await s.retrieve('unknown-app', 'a-metric-type', 0n, -1n, 'ASC'), []);
  assert.equal(await s.retrieve('an-app-id', 'unknown-type', 0n, -1n, 'ASC'), []);
});

store('treats a negative end as now', async (context) => {
  await seed(context);
  context.now = 40000000n;
  assert.equal(stamps(await context.store.retrieve('an-app-id', 'a-metric-type', 0n, -5n, 'ASC')), [
    11111111n,
    33333333n,
  ]);
  context.now = 1_700_000_000_000_000_000n;
});

store('prunes rows at or before the cutoff', async (context) => {
  await seed(context);
  assert.is(await context.store.prune(0n), 0);
  assert.is(await context.store.prune(33333333n), 2);
  assert.equal(stamps(await context.store.retrieve('an-app-id', 'a-metric-type', 0n, -1n, 'ASC')), [55555555n]);
  assert.is(await context.store.prune(context.now), 1);
});

store('fails with a clear error once the database is closed', async () => {
  const db = await openTestDatabase();
  const s = createAppMetricStore(db.sql, { now: () => 0n });
  await db.close();
  try {
    await s.retrieve('a', 'b', 0n, -1n, 'ASC');
    assert.unreachable('a closed database must fail');
  } catch (err) {
    assert.instance(err, Error);
    assert.match((err as Error).message, /CONNECTION_ENDED|ended|closed|ECONNREFUSED|does not exist/i);
  }
});

store.run();
