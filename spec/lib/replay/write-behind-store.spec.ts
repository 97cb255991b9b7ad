import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom } from 'rxjs';
import { silentLogger } from '../../../lib/log/logger.ts';
import type { AppMetric, SortOrder } from '../../../lib/model/app-metric.ts';
import type { AppMetricStore } from '../../../lib/stores/app-metric-store.ts';
import { createAppMetricStore } from '../../../lib/stores/app-metric-store.ts';
import { createAsyncTracker } from '../../../lib/replay/async-tracker.ts';
import { createWriteBehindStore } from '../../../lib/replay/write-behind-store.ts';
import { openTestDatabase } from '../../support/database.ts';

const metric = (ts: bigint, value = '1', appId = 'app'): AppMetric => ({ appId, name: 'cpu', unit: '%', value, timestamp: ts });

// ---
const store = suite('createWriteBehindStore');
let db: Awaited<ReturnType<typeof openTestDatabase>>;
store.before(async () => { db = await openTestDatabase(); });
store.after(async () => { await db.close(); });

store('acknowledges saves at once and lets a read see every earlier save', async () => {
  const tracker = createAsyncTracker();
  const s = createWriteBehindStore({ store: createAppMetricStore(db.sql, { now: () => 0n }), tracker, logger: silentLogger() });
  const reply = await firstValueFrom(s.save([metric(1n), metric(2n), { ...metric(3n), unit: 'x'.repeat(21) }]));
  assert.is(reply.saved, 2);
  assert.equal(reply.rejected.map((r) => r.reason), ['unit longer than 20 characters']);
  assert.is(s.stats().queued, 2);
  const rows = await s.retrieve('app', 'cpu', 0n, 10n, 'ASC');
  assert.equal(rows.map((r) => r.timestamp), [1n, 2n]);
  assert.equal(s.stats(), { queued: 0, written: 2, rejected: 0, failures: 0, reads: 1 });
  assert.is(tracker.pending(), 0);
});

store('answers reads in the order asked, whatever the database does', async () => {
  const order: string[] = [];
  const slowFirst: AppMetricStore = {
    saveBulk: async (m) => ({ saved: m.length, rejected: [] }),
    retrieve: async (appId: string, _t: string, _s: bigint, _e: bigint, _o: SortOrder) => {
      await new Promise((r) => setTimeout(r, appId === 'a' ? 30 : 1));
      order.push(appId);
      return [];
    },
    prune: async () => 0,
  };
  const s = createWriteBehindStore({ store: slowFirst, tracker: createAsyncTracker(), logger: silentLogger() });
  await Promise.all([s.retrieve('a', 'cpu', 0n, 1n, 'ASC'), s.retrieve('b', 'cpu', 0n, 1n, 'ASC')]);
  assert.equal(order, ['a', 'b']);
});

store('writes in the background, and makes the clock wait only when the database falls behind', async () => {
  const pending: (() => void)[] = [];
  const saved: number[] = [];
  const stalled: AppMetricStore = {
    saveBulk: (m) => new Promise((resolve) => pending.push(() => { saved.push(m.length); resolve({ saved: m.length, rejected: [] }); })),
    retrieve: async () => [],
    prune: async () => 0,
  };
  const tracker = createAsyncTracker();
  const s = createWriteBehindStore({ store: stalled, tracker, logger: silentLogger(), chunkSize: 2, maxWritesBehind: 2 });
  for (let i = 0n; i < 2n; i++) await firstValueFrom(s.save([metric(2n * i), metric(2n * i + 1n)]));
  await new Promise((r) => setImmediate(r));
  assert.is(tracker.pending(), 0, 'two writes behind: nothing for the clock to wait for');
  await firstValueFrom(s.save([metric(4n), metric(5n)]));
  await new Promise((r) => setImmediate(r));
  assert.is(tracker.pending(), 1, 'the third write behind holds the clock');
  while (pending.length > 0 || saved.length < 3) { pending.shift()?.(); await new Promise((r) => setImmediate(r)); }
  await tracker.settle();
  assert.equal(saved, [2, 2, 2]);
  assert.is(s.stats().written, 6);
});

store('keeps going when a write fails, counting it', async () => {
  const failing: AppMetricStore = {
    saveBulk: async () => { throw new Error('connection reset'); },
    retrieve: async () => [],
    prune: async () => 0,
  };
  const s = createWriteBehindStore({ store: failing, tracker: createAsyncTracker(), logger: silentLogger(), chunkSize: 1 });
  await firstValueFrom(s.save([metric(1n)]));
  await s.flush();
  assert.equal(await s.retrieve('app', 'cpu', 0n, 1n, 'ASC'), []);
  assert.is(s.stats().failures, 1);
});

store.run();
