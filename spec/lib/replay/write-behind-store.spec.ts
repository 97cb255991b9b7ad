import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '../../../lib/adapters/log/logger.ts';
import type { AppMetric } from '../../../lib/core/model/app-metric.ts';
import type { AppMetricStore } from '../../../lib/adapters/stores/app-metric-store.ts';
import { createAppMetricStore } from '../../../lib/adapters/stores/app-metric-store.ts';
import { createAsyncTracker } from '../../../lib/replay/async-tracker.ts';
import { replayAppMetricStore } from '../../../lib/replay/replay-database.ts';
import { createWriteBehindStore } from '../../../lib/replay/write-behind-store.ts';
import { databaseKind, openTestDatabase } from '../../support/database.ts';

const metric = (ts: bigint, value = '1', appId = 'app'): AppMetric => ({
  appId,
  name: 'cpu',
  unit: '%',
  value,
  timestamp: ts,
});
const rows = (from: number, n: number) => Array.from({ length: n }, (_v, i) => metric(BigInt(from + i)));
const turn = () => new Promise((r) => setImmediate(r));
/** What a replay's thread does between two saves: runs for a while without looking at its timers. */
const busyFor = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};
const never: AppMetricStore['retrieve'] = async () => [];

// ---
const store = suite('createWriteBehindStore');

store('waits for the database to open, then writes what was queued meanwhile', async () => {
  let open: (s: AppMetricStore) => void = () => {};
  const saved: number[] = [];
  const opening = new Promise<AppMetricStore>((resolve) => {
    open = resolve;
  });
  const s = createWriteBehindStore({
    store: opening,
    tracker: createAsyncTracker(),
    logger: silentLogger(),
    chunkSize: 2,
  });
  s.save(rows(0, 3));
  s.save(rows(3, 1));
  await turn();
  assert.equal(saved, [], 'nothing is written before the database is open');
  open({
    saveBulk: async (m) => {
      saved.push(m.length);
      return { saved: m.length, rejected: [] };
    },
    retrieve: never,
    prune: async () => 0,
  });
  await s.flush();
  assert.equal(saved, [3, 1]);
  assert.equal(s.stats(), { queued: 0, written: 4, rejected: 0, failures: 0, failedRows: 0, unconfirmed: 0 });
});

store('writes in the background, and makes the clock wait only when the database falls behind', async () => {
  const pending: (() => void)[] = [];
  const saved: number[] = [];
  const stalled: AppMetricStore = {
    saveBulk: (m) =>
      new Promise((resolve) =>
        pending.push(() => {
          saved.push(m.length);
          resolve({ saved: m.length, rejected: [] });
        }),
      ),
    retrieve: never,
    prune: async () => 0,
  };
  const tracker = createAsyncTracker();
  const s = createWriteBehindStore({
    store: Promise.resolve(stalled),
    tracker,
    logger: silentLogger(),
    chunkSize: 2,
    maxWritesBehind: 2,
  });
  for (let i = 0; i < 2; i++) s.save(rows(2 * i, 2));
  await turn();
  assert.is(tracker.pending(), 0, 'two writes behind: nothing for the clock to wait for');
  s.save(rows(4, 2));
  await turn();
  assert.is(tracker.pending(), 1, 'the third write behind holds the clock');
  pending.shift()!();
  await turn();
  assert.is(tracker.pending(), 0, 'the oldest write done, the clock goes on with two still behind');
  while (pending.length > 0 || saved.length < 3) {
    pending.shift()?.();
    await turn();
  }
  await tracker.settle();
  assert.equal(saved, [2, 2, 2]);
  assert.is(s.stats().written, 6);
});

store('keeps going when a write fails, counting it and its rows', async () => {
  let calls = 0;
  const flaky: AppMetricStore = {
    saveBulk: async (m) => {
      calls += 1;
      if (calls === 1) throw new Error('connection reset');
      return { saved: m.length, rejected: [] };
    },
    retrieve: never,
    prune: async () => 0,
  };
  const s = createWriteBehindStore({
    store: Promise.resolve(flaky),
    tracker: createAsyncTracker(),
    logger: silentLogger(),
    chunkSize: 2,
  });
  s.save(rows(0, 2));
  s.save(rows(2, 3));
  await s.flush();
  assert.equal(s.stats(), { queued: 0, written: 3, rejected: 0, failures: 1, failedRows: 2, unconfirmed: 0 });
});

store.run();

// ---
let db: Awaited<ReturnType<typeof openTestDatabase>>;
const count = async () => (await db.sql`SELECT count(*)::int AS n FROM app_metric`)[0]!['n'] as number;
const counted = suite(`the rows written, against the ${databaseKind()} table`);
counted.before(async () => {
  db = await openTestDatabase();
});
counted.after(async () => {
  await db.close();
});
counted.before.each(async () => {
  await db.sql`DELETE FROM app_metric`;
});

// Why a day's replay once reported 412,000 rows written while the table held 432,000: a write's
// deadline timer fired on the replay's own thread, which only looked at it after a long stretch of
// replaying; timers run before I/O callbacks, so the write "failed" though the database had answered.
// Now the deadline is judged after the I/O that has arrived, a write judged late rolls back instead
// of landing unseen, and the store tries it again.
counted('a thread busy past the deadline: every row lands once, and is counted written', async () => {
  const tracker = createAsyncTracker();
  const s = createWriteBehindStore({
    store: Promise.resolve(createAppMetricStore(db.sql, { now: () => 0n, saveDeadlineMs: 500 })),
    tracker,
    logger: silentLogger(),
    chunkSize: 1_000,
  });
  for (let i = 0; i < 3; i++) {
    s.save(rows(i * 1_000, 1_000));
    await turn();
    busyFor(700);
  }
  await s.flush();
  assert.is(await count(), 3_000, 'the table holds every row, once');
  assert.equal(s.stats(), { queued: 0, written: 3_000, rejected: 0, failures: 0, failedRows: 0, unconfirmed: 0 });
});

counted('with the replay store, the count is the table count, however long the thread stays busy', async () => {
  const tracker = createAsyncTracker();
  const s = createWriteBehindStore({
    store: Promise.resolve(replayAppMetricStore(db.sql, () => 0n)),
    tracker,
    logger: silentLogger(),
    chunkSize: 1_000,
  });
  for (let i = 0; i < 4; i++) {
    s.save(rows(i * 1_000, 1_000));
    await turn();
    busyFor(200);
  }
  s.save(rows(4_000, 321));
  await s.flush();
  assert.is(await count(), 4_321);
  assert.equal(s.stats(), { queued: 0, written: 4_321, rejected: 0, failures: 0, failedRows: 0, unconfirmed: 0 });
});

counted.run();
