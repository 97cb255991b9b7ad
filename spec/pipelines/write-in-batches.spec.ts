import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Observable } from 'rxjs';
import { writeInBatches } from '../../pipelines/write-in-batches.ts';
import { marbles } from '../support/marbles.ts';

const base = { flushIntervalMs: 5, maxBatchSize: 2, maxPending: 4, retry: { initialMs: 2, maxMs: 8 } };

/** A fake write answering with the given streams in turn and recording when each batch came. */
const fakeWrite = (now: () => number, answers: Observable<number>[]) => {
  const calls: { at: number; batch: string[] }[] = [];
  const write = (batch: readonly string[]) => {
    calls.push({ at: now(), batch: [...batch] });
    const answer = answers[calls.length - 1];
    if (!answer) throw new Error(`unexpected write #${calls.length}`);
    return answer;
  };
  return { calls, write };
};

const test = suite('writeInBatches');

test('writes a full batch at once and the rest on the next tick', () => {
  let calls: { at: number; batch: string[] }[] = [];
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const item$ = hot('-abc--------|');
    const fake = fakeWrite(() => scheduler.now(), [cold('-r|', { r: 2 }), cold('-r|', { r: 1 })]);
    calls = fake.calls;
    expectObservable(writeInBatches({ item$ }, { ...base, flushIntervalMs: 4, scheduler, write: fake.write })).toBe(
      '              ---x-y------|',
      {
        x: { kind: 'written', batch: ['a', 'b'], result: 2 },
        y: { kind: 'written', batch: ['c'], result: 1 },
      },
    );
  });
  // a and b fill a batch at once; c is written by the tick at 4, right after the first write.
  assert.equal(calls, [
    { at: 2, batch: ['a', 'b'] },
    { at: 4, batch: ['c'] },
  ]);
});

test('a tick during a write has everything buffered written right after it, in back-to-back batches', () => {
  let calls: { at: number; batch: string[] }[] = [];
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const item$ = hot('-abcde-------|');
    const fake = fakeWrite(
      () => scheduler.now(),
      [cold('----r|', { r: 2 }), cold('-r|', { r: 2 }), cold('-r|', { r: 1 })],
    );
    calls = fake.calls;
    expectObservable(writeInBatches({ item$ }, { ...base, maxPending: 10, scheduler, write: fake.write })).toBe(
      '              ------xyz----|',
      {
        x: { kind: 'written', batch: ['a', 'b'], result: 2 },
        y: { kind: 'written', batch: ['c', 'd'], result: 2 },
        z: { kind: 'written', batch: ['e'], result: 1 },
      },
    );
  });
  // The tick at 5 came while [a, b] was in flight: e does not wait for the tick at 10.
  assert.equal(
    calls.map((c) => c.at),
    [2, 6, 7],
  );
});

test('past maxPending the oldest not in flight are dropped and reported', () => {
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const item$ = hot('-abcdef---|');
    const fake = fakeWrite(() => scheduler.now(), [cold('------r|', { r: 2 }), cold('-r|', { r: 2 })]);
    expectObservable(writeInBatches({ item$ }, { ...base, scheduler, write: fake.write })).toBe(
      '              -----op-xy|',
      {
        o: { kind: 'dropped', count: 1, reason: 'overflow' },
        p: { kind: 'dropped', count: 1, reason: 'overflow' },
        x: { kind: 'written', batch: ['a', 'b'], result: 2 },
        y: { kind: 'written', batch: ['e', 'f'], result: 2 },
      },
    );
  });
});

test('after the source completes, gives up after finalAttempts and reports the rest dropped', () => {
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const item$ = hot('-a|');
    const fake = fakeWrite(
      () => scheduler.now(),
      [cold('-#', {}, new Error('down')), cold('-#', {}, new Error('down'))],
    );
    expectObservable(writeInBatches({ item$ }, { ...base, finalAttempts: 2, scheduler, write: fake.write })).toBe(
      '              ---r--(d|)',
      {
        r: { kind: 'retrying', attempt: 1, delayMs: 2, error: 'down', pending: 1 },
        d: { kind: 'dropped', count: 1, reason: 'final-attempts' },
      },
    );
  });
});

test.run();
