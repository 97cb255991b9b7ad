import { Observable } from 'rxjs';
import type { MonoTypeOperatorFunction, SchedulerLike, Subscription } from 'rxjs';

export interface SliceOptions {
  /** Where a slice that ran out of time continues (a later macrotask), unless `later` is given. */
  readonly scheduler: SchedulerLike;
  /**
   * Runs `work` once pending I/O has been handled, without waiting for a timer (`setImmediate`);
   * returns a cancel. A timer of 0 ms lets the process sleep a millisecond between slices, and
   * on a busy machine much longer before it runs again.
   */
  readonly later?: ((work: () => void) => () => void) | undefined;
  /** Work done synchronously downstream in one slice, at most about this long. */
  readonly budgetMs: number;
  /** A monotonic clock in ms to measure the slice with (`performance.now`). */
  readonly clock: () => number;
}

/**
 * Passes values on at once while the current slice of work is within its budget; past it, the
 * values that follow wait in order for the next slice, scheduled on `scheduler`. An aggregation
 * tick hands every app's metrics over in one synchronous burst, and the evaluation each one starts
 * downstream ran in that same burst: 10,000 apps blocked the event loop for a long while, so
 * timers, sockets and scaling calls already due all waited for it.
 *
 * ```
 * source:  (abcdef)--g--|     budget spent after c
 * output:  (abc)-(def)--g--|  d, e, f in the next slice; g starts a slice of its own
 * ```
 *
 * Completion and errors wait behind the queued values.
 */
export const inSlices =
  <T>(options: SliceOptions): MonoTypeOperatorFunction<T> =>
  (source) =>
    new Observable<T>((subscriber) => {
      // Values waiting for a slice from `head` on; the array is dropped once drained. shift() moves
      // every element of a long array, which made a burst of 10,000 quadratic.
      let queue: T[] = [];
      let head = 0;
      // A slice lasts while one synchronous run of work goes on: a microtask closes it.
      let inSlice = false;
      let sliceStart = 0;
      let pending: (() => void) | undefined;
      const later =
        options.later ??
        ((work: () => void) => {
          const action: Subscription = options.scheduler.schedule(work);
          return () => action.unsubscribe();
        });
      // Set while a slice hands queued values on: what arrives meanwhile queues behind them.
      let draining = false;
      let ended: { readonly error: unknown } | 'complete' | undefined;

      const startSlice = (): void => {
        sliceStart = options.clock();
        if (inSlice) return;
        inSlice = true;
        queueMicrotask(() => {
          inSlice = false;
        });
      };
      const spent = (): boolean => options.clock() - sliceStart > options.budgetMs;
      const finish = (): void => {
        if (ended === undefined || head < queue.length) return;
        if (ended === 'complete') subscriber.complete();
        else subscriber.error(ended.error);
      };
      const drain = (): void => {
        pending = undefined;
        startSlice();
        draining = true;
        while (head < queue.length && !subscriber.closed) {
          if (spent()) {
            draining = false;
            pending = later(drain);
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
          if (!inSlice) startSlice();
          if (!spent()) {
            subscriber.next(value);
            return;
          }
          queue.push(value);
          pending = later(drain);
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
