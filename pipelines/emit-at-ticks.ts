import { Observable, Subscription, interval } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import type { AppMetric } from '../lib/core/model/app-metric.ts';

/** The app metrics one aggregation tick produced elsewhere, and the tick's instant (ms). */
export interface AggregatedTick {
  readonly atMs: number;
  readonly metrics: readonly AppMetric[];
}

export interface EmitAtTicksSources {
  /** Ticks aggregated ahead of this clock (by an aggregation thread running aggregateMetrics on a clock of its own). */
  readonly aggregated$: Observable<AggregatedTick>;
}

export interface EmitAtTicksDeps {
  readonly scheduler: SchedulerLike;
  /** The aggregation interval: the same as the one the ticks were aggregated on. */
  readonly intervalMs: number;
}

/**
 * Emits app metrics aggregated elsewhere at the instants aggregateMetrics would have emitted them
 * on this scheduler: the tick at `t` of an interval started at subscription emits the metrics
 * aggregated at `t`, in their order. So everything downstream (cache, persistence, evaluation)
 * sees them in the same order and at the same virtual instants as if the aggregation ran here.
 *
 * ```
 * aggregated$: -(a@40)-(b@80)---(c@120)-|    ticks arrive before the clock reaches them
 * interval:    ----------t40-----t80-----t120
 * output:      ----------a-------b-------c|  completes when aggregated$ completes
 * ```
 *
 * A tick the clock has passed without emitting it, or one still waiting at the end, is an error
 * (the two clocks disagree), never dropped quietly.
 */
export const emitAtTicks = (sources: EmitAtTicksSources, deps: EmitAtTicksDeps): Observable<AppMetric> => {
  if (!(deps.intervalMs > 0)) throw new RangeError(`emitAtTicks: intervalMs must be > 0, got ${deps.intervalMs}`);
  return new Observable<AppMetric>((subscriber) => {
    const queue: AggregatedTick[] = [];
    const tick = (): void => {
      const now = deps.scheduler.now();
      while (queue.length > 0 && queue[0]!.atMs <= now) {
        const due = queue.shift()!;
        if (due.atMs < now) {
          subscriber.error(new Error(`metrics aggregated at ${due.atMs} ms reached the clock only at ${now} ms`));
          return;
        }
        for (const metric of due.metrics) {
          if (subscriber.closed) return;
          subscriber.next(metric);
        }
      }
    };
    const subscription = new Subscription();
    subscription.add(
      sources.aggregated$.subscribe({
        next: (aggregated) => queue.push(aggregated),
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          if (queue.length === 0) subscriber.complete();
          else
            subscriber.error(new Error(`metrics aggregated at ${queue[0]!.atMs} ms were never reached by the clock`));
        },
      }),
    );
    subscription.add(interval(deps.intervalMs, deps.scheduler).subscribe(tick));
    return subscription;
  });
};
