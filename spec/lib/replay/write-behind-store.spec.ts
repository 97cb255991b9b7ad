import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom } from 'rxjs';
import { silentLogger } from '../../../lib/adapters/log/logger.ts';
import type { AppMetric, SortOrder } from '../../../lib/core/model/app-metric.ts';
import type { AppMetricStore } from '../../../lib/adapters/stores/app-metric-store.ts';
import { createAppMetricStore } from '../../../lib/adapters/stores/app-metric-store.ts';
import { createAsyncTracker } from '../../../lib/replay/async-tracker.ts';
import { createWriteBehindStore } from '../../../lib/replay/write-behind-store.ts';
import { openTestDatabase } from '../../support/database.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const metric = (ts: bigint, value = '1', appId = 'app'): AppMetric => ({
  appId,
  name: 'cpu',
  unit: '%',
  value,
  timestamp: ts,
});

// ---
const store = suite('createWriteBehindStore');
let db: Awaited<ReturnType<typeof openTestDatabase>>;
store.before(async () => {
  db = await openTestDatabase();
});
store.after(async () => {
  await db.close();
});

store('acknowledges saves at once and lets a read see every earlier save', async () => {
  const tracker = createAsyncTracker();
  const s = createWriteBehindStore({
    store: createAppMetricStore(db.sql, { now: () => 0n }),
    tracker,
    logger: silentLogger(),
  });
  const reply = await firstValueFrom(s.save([metric(1n), metric(2n), { ...metric(3n), unit: 'x'.repeat(21) }]));
  assert.is(reply.saved, 2);
  assert.equal(
    reply.rejected.map((r) => r.reason),
    ['unit longer than 20 characters'],
  );
  assert.is(s.stats().queued, 2);
  const rows = await s.retrieve('app', 'cpu', 0n, 10n, 'ASC');
  assert.equal(
    rows.map((r) => r.timestamp),
    [1n, 2n],
  );
  assert.equal(s.stats(), { queued: 0, written: 2, rejected: 0, failures: 0, reads: 1 });
  assert.is(tracker.pending(), 0);
});

store('sends reads asked together at once, and settles them in the order asked', async () => {
  const answered: string[] = [];
  const settled: string[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const slowFirst: AppMetricStore = {
    saveBulk: async (m) => ({ saved: m.length, rejected: [] }),
    retrieve: async (appId: string, _t: string, _s: bigint, _e: bigint, _o: SortOrder) => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await sleep(appId === 'a' ? 30 : 1);
      inFlight -= 1;
      answered.push(appId);
      return [];
    },
    prune: async () => 0,
  };
  const s = createWriteBehindStore({ store: slowFirst, tracker: createAsyncTracker(), logger: silentLogger() });
  await Promise.all(['a', 'b', 'c'].map((id) => s.retrieve(id, 'cpu', 0n, 1n, 'ASC').then(() => settled.push(id))));
  assert.is(mostInFlight, 3, 'no read waited for the one before it');
  assert.equal(answered, ['b', 'c', 'a'], 'the database answered the quick ones first');
  assert.equal(settled, ['a', 'b', 'c'], 'the caller saw them in the order asked');
});

store('writes saves only after the reads asked before them, which never see them', async () => {
  const events: string[] = [];
  let releaseRead: () => void = () => {};
  const recording: AppMetricStore = {
    saveBulk: async (m) => {
      events.push(`write ${m.length}`);
      return { saved: m.length, rejected: [] };
    },
    retrieve: async (appId: string) => {
      events.push(`read ${appId} starts`);
      if (appId === 'first')
        await new Promise<void>((r) => {
          releaseRead = r;
        });
      events.push(`read ${appId} ends`);
      return [];
    },
    prune: async () => 0,
  };
  const s = createWriteBehindStore({ store: recording, tracker: createAsyncTracker(), logger: silentLogger() });
  await firstValueFrom(s.save([metric(1n)]));
  const first = s.retrieve('first', 'cpu', 0n, 10n, 'ASC');
  await firstValueFrom(s.save([metric(2n), metric(3n)]));
  const second = s.retrieve('second', 'cpu', 0n, 10n, 'ASC');
  await sleep(10);
  assert.equal(events, ['write 1', 'read first starts'], 'the second save waits for the first read');
  releaseRead();
  await Promise.all([first, second]);
  assert.equal(events, [
    'write 1',
    'read first starts',
    'read first ends',
    'write 2',
    'read second starts',
    'read second ends',
  ]);
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
    retrieve: async () => [],
    prune: async () => 0,
  };
  const tracker = createAsyncTracker();
  const s = createWriteBehindStore({
    store: stalled,
    tracker,
    logger: silentLogger(),
    chunkSize: 2,
    maxWritesBehind: 2,
  });
  for (let i = 0n; i < 2n; i++) await firstValueFrom(s.save([metric(2n * i), metric(2n * i + 1n)]));
  await new Promise((r) => setImmediate(r));
  assert.is(tracker.pending(), 0, 'two writes behind: nothing for the clock to wait for');
  await firstValueFrom(s.save([metric(4n), metric(5n)]));
  await new Promise((r) => setImmediate(r));
  assert.is(tracker.pending(), 1, 'the third write behind holds the clock');
  pending.shift()!();
  await new Promise((r) => setImmediate(r));
  assert.is(tracker.pending(), 0, 'the oldest write done, the clock goes on with two still behind');
  while (pending.length > 0 || saved.length < 3) {
    pending.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  await tracker.settle();
  assert.equal(saved, [2, 2, 2]);
  assert.is(s.stats().written, 6);
});

store('keeps going when a write fails, counting it', async () => {
  const failing: AppMetricStore = {
    saveBulk: async () => {
      throw new Error('connection reset');
    },
    retrieve: async () => [],
    prune: async () => 0,
  };
  const s = createWriteBehindStore({
    store: failing,
    tracker: createAsyncTracker(),
    logger: silentLogger(),
    chunkSize: 1,
  });
  await firstValueFrom(s.save([metric(1n)]));
  await s.flush();
  assert.equal(await s.retrieve('app', 'cpu', 0n, 1n, 'ASC'), []);
  assert.is(s.stats().failures, 1);
});

store.run();
