import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bufferTime, interval, Subject, take, timer } from 'rxjs';
import { createVirtualScheduler } from '../../../lib/replay/virtual-scheduler.ts';
import type { VirtualScheduler } from '../../../lib/replay/virtual-scheduler.ts';

const START = 1_000_000;
const runAll = (s: VirtualScheduler, limit = Number.POSITIVE_INFINITY) => {
  for (let due = s.nextDue(); due !== undefined && due <= limit; due = s.nextDue()) s.runNextInstant();
};

// ---
const scheduler = suite('createVirtualScheduler');

scheduler('runs actions by due time, then in the order they were scheduled', () => {
  const s = createVirtualScheduler(START);
  const order: string[] = [];
  s.schedule(() => order.push(`b@${s.now() - START}`), 20);
  s.schedule(() => order.push(`a@${s.now() - START}`), 10);
  s.schedule(() => order.push(`c@${s.now() - START}`), 20);
  s.schedule(() => {
    order.push(`d@${s.now() - START}`);
    s.schedule(() => order.push(`e@${s.now() - START}`), 0);
  }, 10);
  s.runNextInstant();
  assert.equal(order, ['a@10', 'd@10', 'e@10'], 'one instant, including what it scheduled for itself');
  runAll(s);
  assert.equal(order, ['a@10', 'd@10', 'e@10', 'b@20', 'c@20']);
});

scheduler('drives rxjs time operators in virtual time', () => {
  const s = createVirtualScheduler(START);
  const seen: string[] = [];
  interval(40, s)
    .pipe(take(3))
    .subscribe((n) => seen.push(`i${n}@${s.now() - START}`));
  timer(50, s).subscribe(() => seen.push(`t@${s.now() - START}`));
  const input = new Subject<number>();
  input.pipe(bufferTime(100, s), take(2)).subscribe((b) => seen.push(`b[${b.join()}]@${s.now() - START}`));
  input.next(1);
  input.next(2);
  runAll(s, START + 1000);
  assert.equal(seen, ['i0@40', 't@50', 'i1@80', 'b[1,2]@100', 'i2@120', 'b[]@200']);
  assert.is(s.nextDue(), undefined);
});

scheduler('reuses a rescheduling action, so a long interval unsubscribes without deep recursion', () => {
  const s = createVirtualScheduler(START);
  let ticks = 0;
  const sub = interval(5, s).subscribe(() => {
    ticks += 1;
  });
  runAll(s, START + 5 * 200_000);
  assert.is(ticks, 200_000);
  sub.unsubscribe();
  assert.is(s.nextDue(), undefined);
});

scheduler('never runs a cancelled action or one with an infinite delay', () => {
  const s = createVirtualScheduler(START);
  let ran = 0;
  s.schedule(() => {
    ran += 1;
  }, 10).unsubscribe();
  s.schedule(() => {
    ran += 1;
  }, Number.POSITIVE_INFINITY);
  runAll(s);
  assert.is(ran, 0);
  assert.is(s.now(), START);
});

scheduler('rethrows an error of the work and drops that action', () => {
  const s = createVirtualScheduler(START);
  const action = s.schedule(() => {
    throw new Error('boom');
  }, 1);
  assert.throws(() => s.runNextInstant(), /boom/);
  assert.ok(action.closed);
});

scheduler('moves only forward', () => {
  const s = createVirtualScheduler(START);
  s.advanceTo(START + 50);
  s.advanceTo(START + 10);
  assert.is(s.now(), START + 50);
  s.schedule(() => {}, 5);
  assert.is(s.nextDue(), START + 55);
});

scheduler.run();
