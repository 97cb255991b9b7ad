import { mergeMap } from 'rxjs';
import type { Observable, SchedulerLike } from 'rxjs';
import type { AppMetric } from '../lib/core/model/app-metric.ts';
import type { SaveMetrics } from '../lib/core/model/ports.ts';
import { checkBatchSettings } from './batch-settings.ts';
import type { BatchSettings } from './batch-settings.ts';
import { writeInBatches } from './write-in-batches.ts';
import type { RetryingEvent } from './write-in-batches.ts';

export type PersistEvent =
  | { readonly kind: 'saved'; readonly count: number }
  | { readonly kind: 'rejected'; readonly metric: AppMetric; readonly reason: string }
  | RetryingEvent
  | { readonly kind: 'dropped'; readonly count: number; readonly reason: string };

export interface PersistMetricsDeps extends BatchSettings {
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
 * The batching, retrying and bounding are writeInBatches'; this names its events for app metrics.
 *
 * @param deps.scheduler clock for the flush interval and the retry delays
 * @param deps.save the bulk insert
 */
export const persistMetrics = (
  sources: { appMetric$: Observable<AppMetric> },
  deps: PersistMetricsDeps,
): Observable<PersistEvent> => {
  checkBatchSettings('persistMetrics', deps);
  const { maxPending } = deps;
  return writeInBatches({ item$: sources.appMetric$ }, { ...deps, write: deps.save }).pipe(
    mergeMap((event): PersistEvent[] => {
      if (event.kind === 'retrying') return [event];
      if (event.kind === 'dropped')
        return [{ kind: 'dropped', count: event.count, reason: `more than ${maxPending} metrics waiting to be saved` }];
      const { saved, rejected } = event.result;
      const events: PersistEvent[] = rejected.map((r) => ({ kind: 'rejected', metric: r.metric, reason: r.reason }));
      events.push({ kind: 'saved', count: saved });
      return events;
    }),
  );
};
