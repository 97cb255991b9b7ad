import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lastValueFrom, toArray } from 'rxjs';
import { fromCall } from '../../../lib/core/from-call.ts';

const test = suite('fromCall');

test('emits the value once and completes', async () => {
  assert.equal(await lastValueFrom(fromCall(async () => 7).pipe(toArray())), [7]);
});

test('is cold: one call per subscription, none before', async () => {
  let calls = 0;
  const value$ = fromCall(async () => {
    calls += 1;
    return calls;
  });
  assert.is(calls, 0);
  assert.is(await lastValueFrom(value$), 1);
  assert.is(await lastValueFrom(value$), 2);
  assert.is(calls, 2);
});

test('a rejection is the stream error', async () => {
  const error = await lastValueFrom(fromCall(() => Promise.reject(new Error('refused')))).catch((e: unknown) => e);
  assert.instance(error, Error);
  assert.is((error as Error).message, 'refused');
});

test('unsubscribing aborts the signal with the cancel message', () => {
  const signals: AbortSignal[] = [];
  const subscription = fromCall((signal) => {
    signals.push(signal);
    return new Promise<never>(() => {});
  }, 'request cancelled: unsubscribed').subscribe();
  assert.equal(
    signals.map((s) => s.aborted),
    [false],
  );
  subscription.unsubscribe();
  assert.equal(
    signals.map((s) => [s.aborted, String(s.reason)]),
    [[true, 'Error: request cancelled: unsubscribed']],
  );
});

test('without a cancel message the reason is the standard AbortError', () => {
  const signals: AbortSignal[] = [];
  fromCall((signal) => {
    signals.push(signal);
    return new Promise<never>(() => {});
  })
    .subscribe()
    .unsubscribe();
  assert.equal(
    signals.map((s) => [s.aborted, s.reason instanceof DOMException && s.reason.name]),
    [[true, 'AbortError']],
  );
});

test('a value that arrives after unsubscribing is not emitted', async () => {
  let resolve: (v: number) => void = () => {};
  const seen: number[] = [];
  const subscription = fromCall(() => new Promise<number>((r) => (resolve = r))).subscribe((v) => seen.push(v));
  subscription.unsubscribe();
  resolve(5);
  await Promise.resolve();
  assert.equal(seen, []);
});

test('a call that has settled is not aborted when the subscription ends', async () => {
  const signals: AbortSignal[] = [];
  const call = (value: number) =>
    fromCall((signal) => {
      signals.push(signal);
      return value < 0 ? Promise.reject(new Error('refused')) : Promise.resolve(value);
    });
  assert.is(await lastValueFrom(call(1)), 1);
  await lastValueFrom(call(-1)).catch(() => undefined);
  assert.equal(
    signals.map((s) => s.aborted),
    [false, false],
  );
});

test.run();
