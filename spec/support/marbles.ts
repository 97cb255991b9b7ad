import * as assert from 'uvu/assert';
import type { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { RunHelpers } from 'rxjs/testing';

// uvu's deep equality treats any two Errors as equal (message is not enumerable), so errors are
// compared by name, message and code instead.
const normalise = (value: unknown): unknown => {
  if (value instanceof Error)
    return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  }
  return value;
};

/** What `cold()` returns, in public types: an Observable that logs when it was subscribed. */
export type ColdObservable<T> = Observable<T> & Pick<ReturnType<RunHelpers['cold']>, 'subscriptions'>;

export const createTestScheduler = (): TestScheduler =>
  new TestScheduler((actual, expected) => assert.equal(normalise(actual), normalise(expected)));

/** Runs a marble test in run mode (virtual time for every RxJS timer inside). */
export const marbles = <T>(fn: (helpers: RunHelpers & { scheduler: TestScheduler }) => T): T => {
  const scheduler = createTestScheduler();
  return scheduler.run((helpers) => fn({ ...helpers, scheduler }));
};
