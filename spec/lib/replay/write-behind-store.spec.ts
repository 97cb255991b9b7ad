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
