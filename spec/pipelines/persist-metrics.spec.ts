import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Subject, VirtualTimeScheduler, of } from 'rxjs';
import { persistMetrics } from '../../pipelines/persist-metrics.ts';
import type { PersistEvent } from '../../pipelines/persist-metrics.ts';
import type { AppMetric, SaveResult } from '../../lib/core/model/app-metric.ts';
import type { SaveMetrics } from '../../lib/core/model/ports.ts';
import { marbles } from '../support/marbles.ts';
import type { ColdObservable } from '../support/marbles.ts';

const metric = (value: string): AppMetric => ({ appId: 'app', name: 't', unit: 'u', value, timestamp: 1n });
const m = { a: metric('a'), b: metric('b'), c: metric('c'), d: metric('d'), e: metric('e') };
const ok = (saved: number, rejected: SaveResult['rejected'] = []): SaveResult => ({ saved, rejected });
const saved = (count: number): PersistEvent => ({ kind: 'saved', count });

/** A fake bulk insert answering with the given cold streams in turn and recording when each batch came. */
const fakeSave = (now: () => number, answers: ColdObservable<SaveResult>[]) => {
  const calls: { at: number; batch: string[] }[] = [];
  const save: SaveMetrics = (batch) => {
    calls.push({ at: now(), batch: batch.map((x) => x.value) });
    const answer = answers[calls.length - 1];
    if (!answer) throw new Error(`unexpected save #${calls.length}`);
    return answer;
  };
  return { calls, save };
};

const base = { flushIntervalMs: 5, maxBatchSize: 3, maxPending: 6, retry: { initialMs: 2, maxMs: 8 } };

const test = suite('persistMetrics');

test('writes what arrived since the last tick on each flush tick', () => {
  let calls: { at: number; batch: string[] }[] = [];
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const appMetric$ = hot('-a-b-------c------|', m);
    const fake = fakeSave(() => scheduler.now(), [cold('-r|', { r: ok(2) }), cold('-r|', { r: ok(1) })]);
    calls = fake.calls;
    expectObservable(persistMetrics({ appMetric$ }, { ...base, scheduler, save: fake.save })).toBe(
      '                    ------s---------t-|',
      { s: saved(2), t: saved(1) },
    );
  });
  assert.equal(calls, [
    { at: 5, batch: ['a', 'b'] },
    { at: 15, batch: ['c'] },
  ]);
});

test('writes at once when maxBatchSize metrics are buffered', () => {
  let calls: { at: number; batch: string[] }[] = [];
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const appMetric$ = hot('-abc--d-|', m);
    const fake = fakeSave(() => scheduler.now(), [cold('-r|', { r: ok(3) }), cold('-r|', { r: ok(1) })]);
    calls = fake.calls;
    expectObservable(
      persistMetrics({ appMetric$ }, { ...base, flushIntervalMs: 100, scheduler, save: fake.save }),
    ).toBe('                    ----s----(t|)', { s: saved(3), t: saved(1) });
  });
  assert.equal(calls, [
    { at: 3, batch: ['a', 'b', 'c'] },
    { at: 8, batch: ['d'] },
  ]);
});

test('attempts no write while nothing arrives', () => {
  let calls: unknown[] = [];
  marbles(({ hot, expectObservable, scheduler }) => {
    const appMetric$ = hot<AppMetric>('-');
    const fake = fakeSave(() => scheduler.now(), []);
    calls = fake.calls;
    expectObservable(persistMetrics({ appMetric$ }, { ...base, scheduler, save: fake.save }), '^ 1000ms !').toBe('-');
  });
  assert.equal(calls, []);
});

test('retries a failed write with exponential back-off, keeping its batch ahead of newer metrics', () => {
  let calls: { at: number; batch: string[] }[] = [];
  marbles(({ hot, cold, expectObservable, expectSubscriptions, scheduler }) => {
    const appMetric$ = hot('-a-----b--------|', m);
    const answers = [
      cold<SaveResult>('-#', {}, new Error('db down')),
      cold<SaveResult>('-#', {}, new Error('db down')),
      cold('-r|', { r: ok(2) }),
    ];
    const fake = fakeSave(() => scheduler.now(), answers);
    calls = fake.calls;
    expectObservable(persistMetrics({ appMetric$ }, { ...base, scheduler, save: fake.save })).toBe(
      '------x--y----s-|',
      {
        x: { kind: 'retrying', attempt: 1, delayMs: 2, error: 'db down', pending: 1 },
        y: { kind: 'retrying', attempt: 2, delayMs: 4, error: 'db down', pending: 2 },
        s: saved(2),
      },
    );
    expectSubscriptions(answers[0]!.subscriptions).toBe('-----^!');
    expectSubscriptions(answers[1]!.subscriptions).toBe('--------^!');
    expectSubscriptions(answers[2]!.subscriptions).toBe('-------------^!');
  });
  assert.equal(calls, [
    { at: 5, batch: ['a'] },
    { at: 8, batch: ['a', 'b'] },
    { at: 13, batch: ['a', 'b'] },
  ]);
});

test('drops the oldest metrics not in flight past maxPending and reports each drop', () => {
  let calls: { at: number; batch: string[] }[] = [];
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const appMetric$ = hot('-abcd--e----|', m);
    const answers = [
      cold<SaveResult>('----#', {}, new Error('timeout')),
      cold('-r|', { r: ok(2) }),
      cold('-r|', { r: ok(1) }),
    ];
    const fake = fakeSave(() => scheduler.now(), answers);
    calls = fake.calls;
    expectObservable(
      persistMetrics({ appMetric$ }, { ...base, maxBatchSize: 2, maxPending: 3, scheduler, save: fake.save }),
    ).toBe('----d-xd-st-|', {
      d: { kind: 'dropped', count: 1, reason: 'more than 3 metrics waiting to be saved' },
      x: { kind: 'retrying', attempt: 1, delayMs: 2, error: 'timeout', pending: 3 },
      s: saved(2),
      t: saved(1),
    });
  });
  // c went while a and b were in flight; a went after their write failed; nothing else was lost.
  assert.equal(calls, [
    { at: 2, batch: ['a', 'b'] },
    { at: 8, batch: ['b', 'd'] },
    { at: 9, batch: ['e'] },
  ]);
});

test('flushes right after a write when a tick came during it', () => {
  let calls: { at: number; batch: string[] }[] = [];
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const appMetric$ = hot('-a----b----------|', m);
    const fake = fakeSave(() => scheduler.now(), [cold('-------r|', { r: ok(1) }), cold('-r|', { r: ok(1) })]);
    calls = fake.calls;
    expectObservable(persistMetrics({ appMetric$ }, { ...base, scheduler, save: fake.save })).toBe(
      '------------st---|',
      { s: saved(1), t: saved(1) },
    );
  });
  assert.equal(calls, [
    { at: 5, batch: ['a'] },
    { at: 12, batch: ['b'] },
  ]);
});

test('flushes everything held when the source completes, in batches, retrying, then completes', () => {
  let calls: { at: number; batch: string[] }[] = [];
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const appMetric$ = hot('-(abcde|)', m);
    const answers = [
      cold('-r|', { r: ok(3) }),
      cold<SaveResult>('-#', {}, new Error('gone')),
      cold('-r|', { r: ok(2) }),
    ];
    const fake = fakeSave(() => scheduler.now(), answers);
    calls = fake.calls;
    expectObservable(
      persistMetrics({ appMetric$ }, { ...base, flushIntervalMs: 100, scheduler, save: fake.save }),
    ).toBe('--sx--(t|)', {
      s: saved(3),
      x: { kind: 'retrying', attempt: 1, delayMs: 2, error: 'gone', pending: 2 },
      t: saved(2),
    });
  });
  assert.equal(calls, [
    { at: 1, batch: ['a', 'b', 'c'] },
    { at: 2, batch: ['d', 'e'] },
    { at: 5, batch: ['d', 'e'] },
  ]);
});

test('completes at once when the source completes with nothing held', () => {
  marbles(({ hot, expectObservable, scheduler }) => {
    const fake = fakeSave(() => scheduler.now(), []);
    expectObservable(
      persistMetrics({ appMetric$: hot<AppMetric>('---|') }, { ...base, scheduler, save: fake.save }),
    ).toBe('---|');
  });
});

test('flushes what is held, then raises the source error', () => {
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const fake = fakeSave(() => scheduler.now(), [cold('-r|', { r: ok(1) })]);
    const appMetric$ = hot('-a--#', m, new Error('stream broke'));
    expectObservable(persistMetrics({ appMetric$ }, { ...base, scheduler, save: fake.save })).toBe(
      '-----(s#)',
      { s: saved(1) },
      new Error('stream broke'),
    );
  });
});

test('reports rows the store rejected next to the count saved', () => {
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const r = ok(1, [{ metric: m.b, reason: 'metric_type longer than 100 characters' }]);
    const fake = fakeSave(() => scheduler.now(), [cold('-r|', { r })]);
    expectObservable(persistMetrics({ appMetric$: hot('-ab--|', m) }, { ...base, scheduler, save: fake.save })).toBe(
      '------(xs|)',
      {
        x: { kind: 'rejected', metric: m.b, reason: 'metric_type longer than 100 characters' },
        s: saved(1),
      },
    );
  });
});

test('refuses settings that cannot work before subscribing', () => {
  assert.throws(
    () =>
      persistMetrics(
        { appMetric$: of() },
        { ...base, maxPending: 2, scheduler: new VirtualTimeScheduler(), save: () => of(ok(0)) },
      ),
    /maxPending \(2\) must be at least maxBatchSize \(3\)/,
  );
});

test('treats a save that completes without a result, or throws, as a failed write', () => {
  let calls: { at: number; batch: string[] }[] = [];
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const answers = [cold<SaveResult>('-|'), cold('-r|', { r: ok(1) })];
    const fake = fakeSave(() => scheduler.now(), answers);
    calls = fake.calls;
    let thrown = false;
    const save = (batch: readonly AppMetric[]) => {
      if (!thrown) {
        thrown = true;
        throw new Error('bad statement');
      }
      return fake.save(batch);
    };
    expectObservable(persistMetrics({ appMetric$: hot('-a-----------|', m) }, { ...base, scheduler, save })).toBe(
      '-----x--y----(s|)',
      {
        x: { kind: 'retrying', attempt: 1, delayMs: 2, error: 'bad statement', pending: 1 },
        y: { kind: 'retrying', attempt: 2, delayMs: 4, error: 'the write ended without a result', pending: 1 },
        s: saved(1),
      },
    );
  });
  assert.equal(
    calls.map((c) => c.at),
    [7, 12],
  );
});

test('cancels the write in flight on unsubscribe', () => {
  marbles(({ hot, cold, expectObservable, expectSubscriptions, scheduler }) => {
    const answer = cold('-----r|', { r: ok(1) });
    const appMetric$ = hot('-a------', m);
    const fake = fakeSave(() => scheduler.now(), [answer]);
    expectObservable(persistMetrics({ appMetric$ }, { ...base, scheduler, save: fake.save }), '^------!').toBe('-');
    expectSubscriptions(appMetric$.subscriptions).toBe('^------!');
    expectSubscriptions(answer.subscriptions).toBe('-----^-!');
  });
});

test('cancels a pending retry on unsubscribe', () => {
  let calls: unknown[] = [];
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const fake = fakeSave(
      () => scheduler.now(),
      [cold<SaveResult>('-#', {}, new Error('down')), cold('-r|', { r: ok(1) })],
    );
    calls = fake.calls;
    expectObservable(
      persistMetrics({ appMetric$: hot('-a------', m) }, { ...base, scheduler, save: fake.save }),
      '^------!',
    ).toBe('------x', { x: { kind: 'retrying', attempt: 1, delayMs: 2, error: 'down', pending: 1 } });
  });
  assert.is(calls.length, 1);
});

test('drains a long backlog of synchronous writes without growing the stack', () => {
  // given a first write held open while 50 000 metrics pile up behind it
  const metrics = Array.from({ length: 50_000 }, (_, i) => metric(String(i)));
  const first = new Subject<SaveResult>();
  let writes = 0;
  const save = (b: readonly AppMetric[]) => (writes++ === 0 ? first : of(ok(b.length)));
  const events: PersistEvent[] = [];
  let completed = false;
  persistMetrics(
    { appMetric$: of(...metrics) },
    { ...base, maxBatchSize: 1, maxPending: 100_000, scheduler: new VirtualTimeScheduler(), save },
  ).subscribe({
    next: (e) => events.push(e),
    complete: () => {
      completed = true;
    },
  });
  assert.not.ok(completed);
  // when it answers, the rest are written one after the other, synchronously
  first.next(ok(1));
  assert.ok(completed);
  assert.is(writes, 50_000);
  assert.is(events.length, 50_000);
});

test.run();
