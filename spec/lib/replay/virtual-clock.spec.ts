import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { interval, timer } from 'rxjs';
import { mergeMap, take } from 'rxjs/operators';
import { fromCall } from '../../../lib/core/from-call.ts';
import { nowNs } from '../../../lib/core/time/ns.ts';
import { createAsyncTracker } from '../../../lib/replay/async-tracker.ts';
import { createVirtualClock } from '../../../lib/replay/virtual-clock.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const START = 1_731_578_400_000;

// ---
const clock = suite('createVirtualClock');

clock('reads recording time, so nowNs gives the recording nanoseconds', () => {
  const c = createVirtualClock({ startMs: START, tracker: createAsyncTracker() });
  assert.is(c.now(), START);
  assert.is(nowNs(c.scheduler), 1_731_578_400_000_000_000n);
});

clock('runs actions before a limit, or up to it when inclusive, and then reads the limit', async () => {
  const c = createVirtualClock({ startMs: START, tracker: createAsyncTracker() });
  const seen: number[] = [];
  interval(1000, c.scheduler)
    .pipe(take(5))
    .subscribe(() => seen.push(c.now() - START));
  await c.runUntil(START + 3000, false);
  assert.equal(seen, [1000, 2000]);
  assert.is(c.now(), START + 3000);
  assert.is(c.nextDue(), START + 3000);
  await c.runUntil(START + 3000, true);
  assert.equal(seen, [1000, 2000, 3000]);
  await c.runUntil(START + 10_000, true);
  assert.equal(seen, [1000, 2000, 3000, 4000, 5000]);
  assert.is(c.nextDue(), undefined);
});

clock('skips ahead at once only while nothing is due before the target', () => {
  const c = createVirtualClock({ startMs: START, tracker: createAsyncTracker() });
  const seen: number[] = [];
  timer(2000, c.scheduler).subscribe(() => seen.push(c.now() - START));
  assert.ok(c.skipTo(START + 1500));
  assert.is(c.now(), START + 1500);
  assert.ok(c.skipTo(START + 2000), 'an action due at the target itself is not before it');
  assert.is(c.now(), START + 2000);
  assert.not.ok(c.skipTo(START + 2500), 'the timer is due before 2500 ms');
  assert.is(c.now(), START + 2000, 'a refused skip leaves the clock alone');
  assert.equal(seen, [], 'skipping runs nothing');
});

clock('lets tracked async work land at the instant that started it', async () => {
  const tracker = createAsyncTracker();
  const c = createVirtualClock({ startMs: START, tracker });
  const landed: number[] = [];
  const slow = () => tracker.track(new Promise<number>((resolve) => setTimeout(() => resolve(7), 20)));
  timer(1000, c.scheduler)
    .pipe(mergeMap(() => fromCall(() => slow())))
    .subscribe(() => landed.push(c.now() - START));
  timer(2000, c.scheduler).subscribe(() => landed.push(-1));
  await c.runUntil(START + 5000, true);
  assert.equal(landed, [1000, -1], 'the promise result arrives before the next instant runs');
});

clock('waits in beforeInstant, once per distinct instant', async () => {
  const instants: number[] = [];
  const c = createVirtualClock({
    startMs: START,
    tracker: createAsyncTracker(),
    beforeInstant: (ms) => {
      instants.push(ms - START);
    },
  });
  timer(500, c.scheduler).subscribe();
  timer(500, c.scheduler).subscribe();
  timer(900, c.scheduler).subscribe();
  await c.runUntil(START + 1000, true);
  assert.equal(instants, [500, 900]);
});

// ---
const tracker = suite('createAsyncTracker');

tracker('settles work started while settling, and hides rejections it does not own', async () => {
  const t = createAsyncTracker();
  let chained = false;
  const first = t.track(
    sleep(5).then(() => {
      void t.track(
        new Promise<void>((r) =>
          setTimeout(() => {
            chained = true;
            r();
          }, 5),
        ),
      );
    }),
  );
  const failing = t.track(Promise.reject(new Error('read failed')));
  failing.catch(() => {});
  assert.is(t.pending(), 2);
  await t.settle();
  await first;
  assert.ok(chained);
  assert.is(t.pending(), 0);
});

clock.run();
tracker.run();
