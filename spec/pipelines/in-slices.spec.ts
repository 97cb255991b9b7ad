import { setTimeout as sleep } from 'node:timers/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { asyncScheduler, from, Subject, concat, throwError } from 'rxjs';
import { inSlices } from '../../pipelines/in-slices.ts';

const test = suite('inSlices');

/** A clock that the downstream work moves on: each value takes `costMs`. */
const fakeWork = (costMs: number) => {
  let now = 0;
  return { clock: () => now, work: () => (now += costMs) };
};
const settled = () => sleep(30);

test('passes a burst on at once while it fits the budget', async () => {
  const { clock, work } = fakeWork(1);
  const seen: number[] = [];
  from([1, 2, 3])
    .pipe(inSlices({ scheduler: asyncScheduler, budgetMs: 10, clock }))
    .subscribe((v) => {
      work();
      seen.push(v);
    });
  assert.equal(seen, [1, 2, 3]);
});

test('defers what follows a spent budget to later slices, in order, and completes after it', async () => {
  const { clock, work } = fakeWork(4);
  const seen: number[] = [];
  const slices: number[][] = [];
  let completed = false;
  from([1, 2, 3, 4, 5, 6, 7])
    .pipe(inSlices({ scheduler: asyncScheduler, budgetMs: 10, clock }))
    .subscribe({
      next: (v) => {
        work();
        seen.push(v);
      },
      complete: () => {
        completed = true;
      },
    });
  slices.push([...seen]);
  assert.not.ok(completed, 'completion waits behind the queued values');
  await settled();
  assert.equal(slices[0], [1, 2, 3], 'the first slice stops once 10 ms are spent');
  assert.equal(seen, [1, 2, 3, 4, 5, 6, 7]);
  assert.ok(completed);
});

test('a value after the burst queues behind it; a later burst starts a slice of its own', async () => {
  const { clock, work } = fakeWork(6);
  const seen: number[] = [];
  const source = new Subject<number>();
  source.pipe(inSlices({ scheduler: asyncScheduler, budgetMs: 10, clock })).subscribe((v) => {
    work();
    seen.push(v);
  });
  for (const v of [1, 2, 3, 4]) source.next(v);
  assert.equal(seen, [1, 2]);
  source.next(5);
  await settled();
  assert.equal(seen, [1, 2, 3, 4, 5]);
  for (const v of [6, 7, 8]) source.next(v);
  assert.equal(seen, [1, 2, 3, 4, 5, 6, 7], 'a new burst gets a fresh budget');
  await settled();
  assert.equal(seen.length, 8);
});

test('an error waits behind the queued values', async () => {
  const { clock, work } = fakeWork(20);
  const seen: (number | string)[] = [];
  concat(
    from([1, 2]),
    throwError(() => new Error('boom')),
  )
    .pipe(inSlices({ scheduler: asyncScheduler, budgetMs: 10, clock }))
    .subscribe({
      next: (v) => {
        work();
        seen.push(v);
      },
      error: (e: Error) => seen.push(e.message),
    });
  assert.equal(seen, [1]);
  await settled();
  assert.equal(seen, [1, 2, 'boom']);
});

test('a value that downstream work makes the source emit queues behind those already waiting', async () => {
  const { clock, work } = fakeWork(6);
  const seen: number[] = [];
  const source = new Subject<number>();
  source.pipe(inSlices({ scheduler: asyncScheduler, budgetMs: 10, clock })).subscribe((v) => {
    work();
    seen.push(v);
    // Handling 3 feeds 9 back into the source, as an evaluation may lead to another metric.
    if (v === 3) source.next(9);
  });
  for (const v of [1, 2, 3, 4, 5]) source.next(v);
  await settled();
  assert.equal(seen, [1, 2, 3, 4, 5, 9]);
});

test('a burst of 100,000 values is handed on in order, and quickly', async () => {
  const seen: number[] = [];
  const source = new Subject<number>();
  source.pipe(inSlices({ scheduler: asyncScheduler, budgetMs: 1, clock: () => performance.now() })).subscribe((v) => {
    seen.push(v);
  });
  for (let v = 0; v < 100_000; v += 1) source.next(v);
  while (seen.length < 100_000) await settled();
  assert.ok(seen.every((v, i) => v === i));
});

test.run();
