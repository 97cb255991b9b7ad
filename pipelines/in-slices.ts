import { Observable } from 'rxjs';
import type { MonoTypeOperatorFunction } from 'rxjs';
import { createSliceBudget } from './slice-budget.ts';
import type { SliceBudget, SliceOptions } from './slice-budget.ts';

export type { SliceOptions } from './slice-budget.ts';

/**
 * Passes values on at once while the current slice of work is within its budget; past it, the
 * values that follow wait in order for the next slice. An aggregation tick hands every app's
 * metrics over in one synchronous burst, and the evaluation each one starts downstream ran in that
 * same burst: 10,000 apps blocked the event loop for a long while, so timers, sockets and scaling
 * calls already due all waited for it.
 *
 * ```
 * source:  (abcdef)--g--|     budget spent after c
 * output:  (abc)-(def)--g--|  d, e, f in the next slice; g starts a slice of its own
 * ```
 *
 * Completion and errors wait behind the queued values. Given a SliceBudget, the slices are those
 * of the budget, shared with every other stage that uses it (see createSliceBudget); given
 * options, the operator has a budget of its own.
 */
export const inSlices =
  <T>(slices: SliceOptions | SliceBudget): MonoTypeOperatorFunction<T> =>
  (source) =>
    new Observable<T>((subscriber) => {
      const budget = 'spent' in slices ? slices : createSliceBudget(slices);
      // Values waiting for a slice from `head` on; the array is dropped once drained. shift() moves
      // every element of a long array, which made a burst of 10,000 quadratic.
      let queue: T[] = [];
      let head = 0;
      let pending: (() => void) | undefined;
      // Set while a slice hands queued values on: what arrives meanwhile queues behind them.
      let draining = false;
      let ended: { readonly error: unknown } | 'complete' | undefined;

      const finish = (): void => {
        if (ended === undefined || head < queue.length) return;
        if (ended === 'complete') subscriber.complete();
        else subscriber.error(ended.error);
      };
      const drain = (): void => {
        pending = undefined;
        draining = true;
        while (head < queue.length && !subscriber.closed) {
          if (budget.spent()) {
            draining = false;
            pending = budget.later(drain);
            return;
          }
          const value = queue[head]!;
          head += 1;
          subscriber.next(value);
        }
        draining = false;
        queue = [];
        head = 0;
        finish();
      };

      const subscription = source.subscribe({
        next: (value) => {
          if (pending !== undefined || draining) {
            queue.push(value);
            return;
          }
          if (!budget.spent()) {
            subscriber.next(value);
            return;
          }
          queue.push(value);
          pending = budget.later(drain);
        },
        error: (error: unknown) => {
          ended = { error };
          if (pending === undefined) finish();
        },
        complete: () => {
          ended = 'complete';
          if (pending === undefined) finish();
        },
      });
      return () => {
        subscription.unsubscribe();
        pending?.();
      };
    });
