import {
  defer,
  EMPTY,
  filter,
  from,
  map,
  mergeMap,
  type Observable,
  of,
  Subject,
  takeUntil,
  tap,
  withLatestFrom,
  catchError,
  finalize,
} from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import { aggregateSamples } from '../lib/core/metrics/aggregate-samples.ts';
import { combinedNameFilter, isPromQlMetric } from '../lib/core/metrics/metric-types.ts';
import type { AppMetric } from '../lib/core/model/app-metric.ts';
import type { Envelope } from '../lib/core/model/envelope.ts';
import type { Monitors } from '../lib/core/model/policy.ts';
import type { QueryPromQl, ReadEnvelopes } from '../lib/core/model/ports.ts';
import { nowNs, secondsToNs } from '../lib/core/time/ns.ts';
import { errorText } from '../lib/core/error-text.ts';

export type CollectEvent =
  /** One REST read of an app: every container/custom gauge its rules need, for the aggregator. */
  | { readonly kind: 'envelopes'; readonly appId: string; readonly envelopes: Envelope[]; readonly rejected: number }
  /** A PromQL metric (throughput, responsetime), already aggregated. */
  | { readonly kind: 'metric'; readonly metric: AppMetric }
  /** A read (no metricType) or a PromQL query that failed; nothing else is emitted for it this tick. */
  | { readonly kind: 'failed'; readonly appId: string; readonly metricType?: string; readonly error: string }
  // Streaming collection (streamMetrics):
  /** One stream batch, apps mixed, cut down to the gauges their rules read; for the aggregator as they come. */
  | { readonly kind: 'streamed'; readonly envelopes: Envelope[]; readonly rejected: number }
  /**
   * The read of an app's stat window when its stream (re)opened: it replaces what the app holds
   * before `beforeNs`, or only from `fromNs` on (a gap fill, when the app's window was complete up to there).
   */
  | {
      readonly kind: 'backfill';
      readonly appId: string;
      readonly fromNs?: bigint;
      readonly beforeNs: bigint;
      readonly envelopes: Envelope[];
      readonly rejected: number;
    }
  /** Apps whose metrics are due now (the tick, or a late backfill of a tick that found them reconnecting). */
  | { readonly kind: 'refresh'; readonly appIds: readonly string[] }
  /** A stream connection opened, ended, failed or sent data that could not be read. */
  | { readonly kind: 'stream'; readonly event: StreamConnectionEvent };

/** What happened to one stream connection (numbered from 1 in order of opening). */
export type StreamConnectionEvent =
  | { readonly kind: 'opened'; readonly connection: number; readonly sourceIds: number }
  | { readonly kind: 'ended'; readonly connection: number; readonly reason: string; readonly retryInMs: number }
  | {
      readonly kind: 'failed';
      readonly connection: number;
      readonly error: string;
      readonly attempt: number;
      readonly retryInMs: number;
    }
  | { readonly kind: 'malformed'; readonly connection: number; readonly reason: string };

export interface CollectSources {
  readonly tick$: Observable<unknown>;
  /** Latest app id → metric types this instance must produce. */
  readonly monitor$: Observable<Monitors>;
}

export interface CollectDeps {
  readonly scheduler: SchedulerLike;
  /** Cold: one read of `[startTime, endTime)` with the name filter; emits once. */
  readonly readEnvelopes: ReadEnvelopes;
  /** Cold: the per-instance samples of one PromQL metric at `atNs`; emits once. */
  readonly queryPromQl: QueryPromQl;
  readonly statWindowSecs: number;
  /** Reads and queries in flight at once, over all apps. */
  readonly concurrency: number;
}

/**
 * Pulls metric data for every monitored app on every tick: ONE log-cache read per app serving all
 * of its REST metric types (a combined name filter), and one PromQL query per throughput /
 * responsetime type, aggregated at once.
 *
 * ```
 * tick$     ----t---------t---------t----
 * read(a)       [now−W, t1) [t1, t2)  [t2, t3)      windows follow on, nothing read twice
 * output    -----e---------e---------e---
 * ```
 *
 * Reads are incremental: the first covers the stat window, later ones start where the last
 * successful one ended (start inclusive, end exclusive). A failed read does not move the start, so
 * the next one catches up (never further back than the stat window, which is all the aggregator
 * keeps). While an app's read or query is in flight, that app's next tick is skipped for it, so a
 * slow app never queues up work; `mergeMap` with `concurrency` bounds the fan-out over apps.
 * Failures become `failed` events inside each job, so the stream outlives every bad app. An app
 * leaving `monitor$` has its work cancelled and its window forgotten.
 *
 * @param deps.scheduler clock for windows and metric timestamps
 * @param deps.readEnvelopes the REST read (log-cache `read`, paged)
 * @param deps.queryPromQl the PromQL query, already turned into samples
 * @param deps.statWindowSecs width of the first window, and how far back a catch-up may reach
 * @param deps.concurrency jobs in flight at once
 */
export const collectMetrics = (sources: CollectSources, deps: CollectDeps): Observable<CollectEvent> =>
  defer(() => {
    let monitored: Monitors = new Map();
    const nextStart = new Map<string, bigint>();
    const busy = new Set<string>();
    const removed$ = new Subject<string>();

    const onMonitor = (next: Monitors): void => {
      for (const appId of monitored.keys()) {
        if (next.has(appId)) continue;
        nextStart.delete(appId);
        removed$.next(appId);
      }
      monitored = next;
    };

    // Marks the job busy from the moment it is queued, so ticks arriving while it waits for a
    // concurrency slot are skipped too.
    const job = (appId: string, key: string, work: () => Observable<CollectEvent>): Observable<CollectEvent> => {
      busy.add(key);
      return defer(() => (monitored.has(appId) ? work() : EMPTY)).pipe(
        takeUntil(removed$.pipe(filter((id) => id === appId))),
        finalize(() => busy.delete(key)),
      );
    };

    const read = (appId: string, nameFilter: string, start: bigint, end: bigint): Observable<CollectEvent> =>
      job(appId, appId, () =>
        deps.readEnvelopes(appId, nameFilter, start, end).pipe(
          map((result): CollectEvent => {
            nextStart.set(appId, end);
            return { kind: 'envelopes', appId, envelopes: result.envelopes, rejected: result.rejected.length };
          }),
          catchError((err: unknown) => of<CollectEvent>({ kind: 'failed', appId, error: errorText(err) })),
        ),
      );

    const query = (appId: string, metricType: string, at: bigint): Observable<CollectEvent> =>
      job(appId, `${appId}\u0000${metricType}`, () =>
        deps.queryPromQl(appId, metricType, at).pipe(
          map(
            (samples): CollectEvent => ({
              kind: 'metric',
              metric: aggregateSamples(appId, metricType, samples, nowNs(deps.scheduler)),
            }),
          ),
          catchError((err: unknown) => of<CollectEvent>({ kind: 'failed', appId, metricType, error: errorText(err) })),
        ),
      );

    const jobsAt = (now: bigint): Observable<CollectEvent>[] => {
      const oldest = now - secondsToNs(deps.statWindowSecs);
      const jobs: Observable<CollectEvent>[] = [];
      for (const [appId, types] of monitored) {
        const nameFilter = combinedNameFilter(types);
        const previous = nextStart.get(appId);
        const start = previous === undefined || previous < oldest ? oldest : previous;
        if (nameFilter !== undefined && !busy.has(appId) && start < now) jobs.push(read(appId, nameFilter, start, now));
        for (const type of new Set(types)) {
          if (isPromQlMetric(type) && !busy.has(`${appId}\u0000${type}`)) jobs.push(query(appId, type, now));
        }
      }
      return jobs;
    };

    return sources.tick$.pipe(
      // Ticks before the first monitor map have nothing to do.
      withLatestFrom(sources.monitor$.pipe(tap(onMonitor))),
      mergeMap(() => from(jobsAt(nowNs(deps.scheduler)))),
      // Fan out over apps, bounded; per-app skipping above keeps the queue short.
      mergeMap((job$) => job$, Math.max(1, Math.trunc(deps.concurrency))),
    );
  });
