import { Observable } from 'rxjs';
import type { MonoTypeOperatorFunction, SchedulerLike, Subscription } from 'rxjs';

export interface SliceOptions {
  /** Where a slice that ran out of time continues (a later macrotask). */
  readonly scheduler: SchedulerLike;
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
      const queue: T[] = [];
      // A slice lasts while one synchronous run of work goes on: a microtask closes it.
      let inSlice = false;
      let sliceStart = 0;
      let pending: Subscription | undefined;
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
        if (ended === undefined || queue.length > 0) return;
        if (ended === 'complete') subscriber.complete();
        else subscriber.error(ended.error);
      };
      const drain = (): void => {
        pending = undefined;
        startSlice();
        while (queue.length > 0 && !subscriber.closed) {
          if (spent()) {
            pending = options.scheduler.schedule(drain);
            return;
          }
          // shift() on a long array is cheap in V8 (the backing store moves its start).
          subscriber.next(queue.shift()!);
        }
        finish();
      };

      const subscription = source.subscribe({
        next: (value) => {
          if (pending !== undefined) {
            queue.push(value);
            return;
          }
          if (!inSlice) startSlice();
          if (!spent()) {
            subscriber.next(value);
            return;
          }
          queue.push(value);
          pending = options.scheduler.schedule(drain);
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
        pending?.unsubscribe();
      };
    });
