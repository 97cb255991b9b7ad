import { Observable, defer, interval, take, timer } from 'rxjs';
import type { SchedulerLike, Subscription } from 'rxjs';
import { createMetricQueue } from '../lib/core/persistence/metric-queue.ts';
import type { AppMetric, SaveResult } from '../lib/core/model/app-metric.ts';
import type { SaveMetrics } from '../lib/core/model/ports.ts';
import { backoffMs } from '../lib/core/time/backoff.ts';
import { checkPersistSettings } from './persist-metrics-settings.ts';
import type { PersistSettings } from './persist-metrics-settings.ts';
import { errorText } from '../lib/core/error-text.ts';

export type PersistEvent =
  | { readonly kind: 'saved'; readonly count: number }
  | { readonly kind: 'rejected'; readonly metric: AppMetric; readonly reason: string }
  | {
      readonly kind: 'retrying';
      readonly attempt: number;
      readonly delayMs: number;
      readonly error: string;
      readonly pending: number;
    }
  | { readonly kind: 'dropped'; readonly count: number; readonly reason: string };

export interface PersistMetricsDeps extends PersistSettings {
  readonly scheduler: SchedulerLike;
  /** One bulk insert; emits its result once. An error means nothing of the batch was stored. */
  readonly save: SaveMetrics;
}

/**
 * Writes app metrics to the database in batches, by time and by count, one write at a time, and
 * never loses a batch to a failed write: it is retried with back-off and kept ahead of newer metrics.
 *
 * ```
 * appMetric$: -a-b-----c-----|        (flushIntervalMs = 5 frames)
 * save:            [a,b]     [c]
 * output:     -----s---------(s|)     s = { kind: 'saved', count }
 * ```
 *
 * Only a bounded number of metrics is held (`maxPending`); past it the oldest not in flight are
 * dropped and reported. When `appMetric$` completes, everything held is flushed at once (still
 * retrying) before the output completes; a source error is re-raised after that flush.
 * Unsubscribing cancels the write in flight and any pending retry.
 *
 * Written as one Observable rather than an operator chain because the write result feeds back
 * into what is buffered (keep on failure, next chunk at once on a backlog), which a chain of
 * buffer/concatMap operators cannot express without losing the failed batch.
 *
 * @param deps.scheduler clock for the flush interval and the retry delays
 * @param deps.save the bulk insert
 */
export const persistMetrics = (
  sources: { appMetric$: Observable<AppMetric> },
  deps: PersistMetricsDeps,
): Observable<PersistEvent> => {
  checkPersistSettings(deps);
  const { maxBatchSize, maxPending } = deps;
  return new Observable<PersistEvent>((subscriber) => {
    const pending = createMetricQueue();
    let inFlight = 0; // the first `inFlight` pending metrics are being written
    let writeSub: Subscription | undefined;
    let backoffSub: Subscription | undefined;
    let waitingRetry = false;
    let attempt = 0;
    let flushDue = false;
    let sourceDone = false;
    let sourceError: { readonly err: unknown } | undefined;
    let pumping = false;
    let again = false;

    const write = (): void => {
      const batch = pending.head(maxBatchSize);
      inFlight = batch.length;
      // A tick flushes everything buffered, in as many back-to-back writes as it takes.
      if (batch.length === pending.length) flushDue = false;
      let result: SaveResult | undefined;
      writeSub = defer(() => deps.save(batch))
        .pipe(take(1))
        .subscribe({
          next: (r) => {
            result = r;
          },
          error: (err: unknown) => failed(err),
          complete: () => (result ? succeeded(result) : failed(new Error('save completed without a result'))),
        });
    };

    const succeeded = (result: SaveResult): void => {
      pending.dropHead(inFlight);
      inFlight = 0;
      attempt = 0;
      for (const r of result.rejected) subscriber.next({ kind: 'rejected', metric: r.metric, reason: r.reason });
      subscriber.next({ kind: 'saved', count: result.saved });
      pump();
    };

    const failed = (err: unknown): void => {
      inFlight = 0;
      attempt += 1;
      const delayMs = backoffMs(attempt, deps.retry);
      waitingRetry = true;
      subscriber.next({
        kind: 'retrying',
        attempt,
        delayMs,
        error: errorText(err),
        pending: pending.length,
      });
      backoffSub = timer(delayMs, deps.scheduler).subscribe(() => {
        waitingRetry = false;
        flushDue = true;
        pump();
      });
    };

    const step = (): void => {
      if (subscriber.closed || inFlight > 0 || waitingRetry) return;
      if (pending.length === 0) {
        flushDue = false;
        if (!sourceDone) return;
        if (sourceError) subscriber.error(sourceError.err);
        else subscriber.complete();
        return;
      }
      if (flushDue || sourceDone || pending.length >= maxBatchSize) write();
    };

    // Writes may answer synchronously; a loop instead of recursion keeps a long backlog off the stack.
    const pump = (): void => {
      if (pumping) {
        again = true;
        return;
      }
      pumping = true;
      try {
        do {
          again = false;
          step();
        } while (again);
      } finally {
        pumping = false;
      }
    };

    const tickSub = interval(deps.flushIntervalMs, deps.scheduler).subscribe(() => {
      flushDue = true;
      pump();
    });
    const sourceSub = sources.appMetric$.subscribe({
      next: (metric) => {
        pending.push(metric);
        if (pending.length > maxPending) {
          // The batch in flight cannot be recalled, so the oldest after it go.
          const count = pending.length - maxPending;
          pending.dropAfter(inFlight, count);
          subscriber.next({ kind: 'dropped', count, reason: `more than ${maxPending} metrics waiting to be saved` });
        }
        pump();
      },
      error: (err: unknown) => {
        sourceDone = true;
        sourceError = { err };
        pump();
      },
      complete: () => {
        sourceDone = true;
        pump();
      },
    });

    return () => {
      sourceSub.unsubscribe();
      tickSub.unsubscribe();
      writeSub?.unsubscribe();
      backoffSub?.unsubscribe();
    };
  });
};
