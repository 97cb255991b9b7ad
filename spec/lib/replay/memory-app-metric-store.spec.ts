import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createAppMetricStore } from '../../../lib/adapters/stores/app-metric-store.ts';
import { rowFits, unstorableReason } from '../../../lib/adapters/stores/app-metric-limits.ts';
import type { AppMetric, SortOrder } from '../../../lib/core/model/app-metric.ts';
import { createMemoryAppMetricStore } from '../../../lib/replay/memory-app-metric-store.ts';
import { databaseKind, openTestDatabase } from '../../support/database.ts';

const NOW = 1_700_000_000_000_000_500n;
const T0 = 1_700_000_000_000_000_000n;

const metric = (timestamp: bigint, value: string, over: Partial<AppMetric> = {}): AppMetric => ({
  appId: 'app-a',
  name: 'cpu',
  unit: '%',
  value,
  timestamp,
  ...over,
});

// ---
const memory = suite('createMemoryAppMetricStore');

memory('reads an inclusive range in either order, out-of-order saves included', async () => {
  const store = createMemoryAppMetricStore({ now: () => NOW });
  await store.saveBulk([metric(T0 + 30n, '3'), metric(T0 + 10n, '1'), metric(T0 + 20n, '2'), metric(T0 + 40n, '4')]);
  const asc = await store.retrieve('app-a', 'cpu', T0 + 10n, T0 + 30n, 'ASC');
  assert.equal(
    asc.map((m) => m.value),
    ['1', '2', '3'],
  );
  const desc = await store.retrieve('app-a', 'cpu', T0 + 11n, T0 + 40n, 'DESC');
  assert.equal(
    desc.map((m) => m.value),
    ['4', '3', '2'],
  );
  assert.equal(await store.retrieve('app-a', 'memory', T0, T0 + 40n, 'ASC'), []);
  assert.equal(await store.retrieve('app-b', 'cpu', T0, T0 + 40n, 'ASC'), []);
});

memory('a negative end means now; rows the table cannot hold are rejected with its reasons', async () => {
  const store = createMemoryAppMetricStore({ now: () => T0 + 25n });
  const result = await store.saveBulk([
    metric(T0 + 20n, '2'),
    metric(T0 + 30n, '3'),
    metric(T0 + 1n, '0', { unit: 'u'.repeat(21) }),
    metric(T0 + 1n, '0', { appId: '' }),
  ]);
  assert.is(result.saved, 2);
  assert.equal(
    result.rejected.map((r) => r.reason),
    ['unit longer than 20 characters', 'app_id is empty'],
  );
  assert.equal(
    (await store.retrieve('app-a', 'cpu', 0n, -1n, 'ASC')).map((m) => m.value),
    ['2'],
  );
  assert.is(store.size(), 2);
});

memory('a row of a key already held is checked as closely as the first: the same reasons as the table', async () => {
  const store = createMemoryAppMetricStore({ now: () => NOW });
  await store.saveBulk([metric(T0, '1')]);
  const bad = [
    metric(T0 + 1n, '0', { unit: 'u'.repeat(21) }),
    metric(T0 + 2n, 'a\u0000b'),
    metric(T0 + 3n, '0', { unit: '%\u0000' }),
    metric(2n ** 63n, '0'),
    metric(-(2n ** 63n) - 1n, '0'),
  ];
  const result = store.saveNow([...bad, metric(T0 + 4n, '4')]);
  assert.is(result.saved, 1);
  assert.equal(
    result.rejected.map((r) => r.reason),
    bad.map((m) => unstorableReason(m)),
  );
  assert.ok(result.rejected.every((r) => r.reason !== undefined));
  assert.is(store.size(), 2);
});

memory('rowFits: for a key that fits, a row fits exactly when the table holds it', () => {
  const text = fc.oneof(fc.string({ maxLength: 24 }), fc.constantFrom('%', 'a\u0000', 'x'.repeat(21)));
  fc.assert(
    fc.property(
      text,
      text,
      fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
      (unit: string, value: string, timestamp: bigint) => {
        const m = metric(timestamp, value, { unit });
        assert.is(rowFits(m), unstorableReason(m) === undefined);
      },
    ),
    { numRuns: 5_000 },
  );
});

memory('prunes rows at or before the bound', async () => {
  const store = createMemoryAppMetricStore({ now: () => NOW });
  await store.saveBulk([metric(T0 + 10n, '1'), metric(T0 + 20n, '2'), metric(T0 + 30n, '3', { appId: 'app-b' })]);
  assert.is(await store.prune(T0 + 20n), 2);
  assert.is(store.size(), 1);
  assert.equal(
    (await store.retrieve('app-b', 'cpu', 0n, NOW, 'ASC')).map((m) => m.value),
    ['3'],
  );
});

memory.run();

// ---
type Db = Awaited<ReturnType<typeof openTestDatabase>>;
let db: Db;
const same = suite(`the memory store answers as the ${databaseKind()} database store does`);
same.before(async () => {
  db = await openTestDatabase();
});
same.after(async () => {
  await db.close();
});

/** Rows of equal timestamp come in no order SQL promises; both sides are compared with ties sorted. */
const comparable = (rows: readonly AppMetric[]) =>
  rows.map((m) => `${m.appId}|${m.name}|${m.unit}|${m.timestamp}|${m.value}`);
const tiesSorted = (rows: readonly AppMetric[]) => {
  const groups: AppMetric[][] = [];
  for (const row of rows) {
    const last = groups.at(-1);
    if (last && last[0]!.timestamp === row.timestamp) last.push(row);
    else groups.push([row]);
  }
  const key = (m: AppMetric) => `${m.value}|${m.unit}`;
  return comparable(groups.flatMap((g) => g.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))));
};

const rowArb = fc.record({
  appId: fc.constantFrom('app-a', 'app-b', '', 'x'.repeat(256)),
  name: fc.constantFrom('cpu', 'memoryutil', 'custom_ü'),
  unit: fc.constantFrom('%', 'MB', '', 'u'.repeat(21)),
  value: fc.oneof(fc.integer({ min: -5, max: 500 }).map(String), fc.constant('')),
  timestamp: fc.bigInt({ min: -3n, max: 40n }).map((d) => T0 + d * 1_000_000n),
});
const queryArb = fc.record({
  appId: fc.constantFrom('app-a', 'app-b', 'app-c'),
  name: fc.constantFrom('cpu', 'memoryutil', 'custom_ü'),
  start: fc.bigInt({ min: -5n, max: 45n }).map((d) => T0 + d * 1_000_000n),
  end: fc.oneof(
    fc.bigInt({ min: -5n, max: 45n }).map((d) => T0 + d * 1_000_000n),
    fc.constant(-1n),
  ),
  order: fc.constantFrom<SortOrder>('ASC', 'DESC'),
});

same('the same saves, rejections and reads on generated batches and queries', async () => {
  const now = () => T0 + 20n * 1_000_000n;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(rowArb, { maxLength: 30 }), { minLength: 1, maxLength: 4 }),
      fc.array(queryArb, { minLength: 1, maxLength: 8 }),
      async (batches, queries) => {
        await db.sql`DELETE FROM app_metric`;
        const table = createAppMetricStore(db.sql, { now });
        const memoryStore = createMemoryAppMetricStore({ now });
        for (const batch of batches) {
          const a = await table.saveBulk(batch);
          const b = await memoryStore.saveBulk(batch);
          assert.is(b.saved, a.saved);
          assert.equal(
            b.rejected.map((r) => r.reason),
            a.rejected.map((r) => r.reason),
          );
        }
        for (const q of queries) {
          const a = await table.retrieve(q.appId, q.name, q.start, q.end, q.order);
          const b = await memoryStore.retrieve(q.appId, q.name, q.start, q.end, q.order);
          assert.equal(tiesSorted(b), tiesSorted(a));
        }
        const bound = T0 + 5n * 1_000_000n;
        assert.is(await memoryStore.prune(bound), await table.prune(bound));
        const a = await table.retrieve('app-a', 'cpu', 0n, T0 * 2n, 'ASC');
        const b = await memoryStore.retrieve('app-a', 'cpu', 0n, T0 * 2n, 'ASC');
        assert.equal(tiesSorted(b), tiesSorted(a));
      },
    ),
    { numRuns: 60 },
  );
});

same('distinct timestamps come back in exactly the order of the table', async () => {
  await db.sql`DELETE FROM app_metric`;
  const table = createAppMetricStore(db.sql, { now: () => NOW });
  const memoryStore = createMemoryAppMetricStore({ now: () => NOW });
  const rows = [5n, 1n, 9n, 3n, 7n].map((d) => metric(T0 + d, String(d)));
  await table.saveBulk(rows);
  await memoryStore.saveBulk(rows);
  for (const order of ['ASC', 'DESC'] as const)
    assert.equal(
      comparable(await memoryStore.retrieve('app-a', 'cpu', T0 + 2n, T0 + 9n, order)),
      comparable(await table.retrieve('app-a', 'cpu', T0 + 2n, T0 + 9n, order)),
    );
});

same.run();
