import { Observable, Subscription, interval } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import { createEnvelopeBuffer } from '../lib/core/metrics/envelope-buffer.ts';
import type { AppMetric } from '../lib/core/model/app-metric.ts';
import type { Envelope } from '../lib/core/model/envelope.ts';
import type { Monitors } from '../lib/core/model/policy.ts';
import type { Logger } from '../lib/core/model/ports.ts';
import { isPromQlMetric } from '../lib/core/metrics/metric-types.ts';
import type { PromQlMetricType } from '../lib/core/metrics/metric-types.ts';
import { promQlWindowSecs } from '../lib/core/metrics/promql.ts';
import { nowNs, secondsToNs } from '../lib/core/time/ns.ts';
import { windowAppMetrics } from './window-app-metrics.ts';
import type { AppEnvelopes, AppPlan, WindowSettings } from './window-app-metrics.ts';
import { errorText } from '../lib/core/error-text.ts';

export interface AggregateMetricsDeps {
  readonly scheduler: SchedulerLike;
  /** `defaultStatWindowSecs`: REST types average the gauges of the last this many seconds. */
  readonly statWindowSecs: number;
  /** `aggregator.aggregator_execute_interval`: the tick period, and the HTTP window W. */
  readonly intervalMs: number;
  /** Compute throughput/responsetime from `http` timers (replay, streaming); else they are skipped. */
  readonly localHttpMetrics: boolean;
  /** Gauge envelopes, and separately timer envelopes, kept per app at most; past it the oldest go. Default 100 000. */
  readonly maxEnvelopesPerApp?: number;
  /** Told about evicted envelopes and metrics that could not be computed. */
  readonly logger?: Logger | undefined;
}

export interface AggregateMetricsSources {
  readonly envelope$: Observable<Envelope>;
  /** The latest appId → metric types this instance must produce. */
  readonly monitor$: Observable<Monitors>;
  /**
   * When given, an app's metrics are computed each time it names the app (right after a read of
   * that app has been fed to `envelope$`) instead of on the interval. Subscribed after `envelope$`,
   * so when both come from one shared source the envelopes of a read are in before its flush.
   */
  readonly flush$?: Observable<string> | undefined;
  /**
   * Reads that replace what an app holds before `beforeNs` (a stream's backfill: up to the instant
   * the stream took over, log-cache's envelopes stand in for whatever the app had), or only from
   * `fromNs` on when given (a gap fill). Envelopes outside the range are kept; those of the read
   * outside it are ignored.
   */
  readonly replace$?: Observable<GaugeReplacement> | undefined;
}

export interface GaugeReplacement {
  readonly appId: string;
  readonly fromNs?: bigint | undefined;
  readonly beforeNs: bigint;
  readonly envelopes: readonly Envelope[];
}

const LATEST_NS = 2n ** 63n - 1n;
const EARLIEST_NS = -(2n ** 63n);

interface AppState extends AppPlan, AppEnvelopes {}

const check = (deps: AggregateMetricsDeps): void => {
  if (!(deps.statWindowSecs > 0))
    throw new RangeError(`aggregateMetrics: statWindowSecs must be > 0, got ${deps.statWindowSecs}`);
  if (!(deps.intervalMs > 0)) throw new RangeError(`aggregateMetrics: intervalMs must be > 0, got ${deps.intervalMs}`);
  const max = deps.maxEnvelopesPerApp;
  if (max !== undefined && !(Number.isInteger(max) && max > 0))
    throw new RangeError(`aggregateMetrics: maxEnvelopesPerApp must be a positive integer, got ${max}`);
};

/**
 * Turns a stream of envelopes into one app metric per monitored (app, metric type) per tick, with
 * timestamp = the tick instant (docs/anchor-compatibility.md#aggregation).
 *
 * ```
 * envelope$: -e-e--e-e--e--e-e-|     monitor$: m----------------
 * tick:      -----t-----t-----t      (first tick one interval after subscription)
 * output:    -----(xy)--(xy)--(xy)|  one metric per (app, type) each tick
 * ```
 *
 * Envelopes of unmonitored apps, and those no window needs, are not kept; re-delivered envelopes
 * (overlapping reads) count once. A metric that cannot be computed is logged and skipped; the others
 * of that tick are still emitted. The output completes when `envelope$` completes and errors when
 * either source errors. Written as one Observable because ingest, monitor changes and ticks share
 * the per-app buffers, and ingest must stay free of per-envelope allocation.
 *
 * @param deps.scheduler clock of the ticks and of the metric timestamps
 */
export const aggregateMetrics = (
  sources: AggregateMetricsSources,
  deps: AggregateMetricsDeps,
): Observable<AppMetric> => {
  check(deps);
  const maxPerApp = deps.maxEnvelopesPerApp ?? 100_000;
  const httpWindowSecs = promQlWindowSecs(deps.intervalMs / 1000);
  const settings: WindowSettings = {
    statWindowNs: secondsToNs(deps.statWindowSecs),
    httpWindowSecs,
    httpWindowNs: secondsToNs(httpWindowSecs),
  };

  return new Observable<AppMetric>((subscriber) => {
    let apps = new Map<string, AppState>();

    const setMonitors = (monitors: Monitors): void => {
      const next = new Map<string, AppState>();
      for (const [appId, types] of monitors) {
        const restTypes = types.filter((t) => !isPromQlMetric(t));
        const httpTypes = deps.localHttpMetrics ? types.filter((t): t is PromQlMetricType => isPromQlMetric(t)) : [];
        if (restTypes.length === 0 && httpTypes.length === 0) continue;
        // A kept app keeps its envelopes; a new app starts empty.
        const kept = apps.get(appId);
        next.set(appId, {
          restTypes,
          httpTypes,
          gauges: kept?.gauges ?? createEnvelopeBuffer(maxPerApp),
          timers: kept?.timers ?? createEnvelopeBuffer(maxPerApp),
        });
      }
      apps = next;
    };

    const ingest = (envelope: Envelope): void => {
      // A throw in a subscriber callback would escape as an unhandled error; one envelope must not do that.
      try {
        const app = apps.get(envelope.sourceId);
        if (app === undefined) return;
        if (envelope.gauge !== undefined) {
          if (app.restTypes.length > 0) app.gauges.add(envelope);
        } else if (
          app.httpTypes.length > 0 &&
          envelope.timer?.name === 'http' &&
          envelope.tags['peer_type'] === 'Client'
        ) {
          app.timers.add(envelope);
        }
      } catch (err) {
        deps.logger?.warn(
          { error: errorText(err), sourceId: (envelope as Partial<Envelope> | undefined)?.sourceId },
          'envelope skipped: it could not be buffered',
        );
      }
    };

    const emitApp = (appId: string, app: AppState, now: bigint): void => {
      app.gauges.prune(now - settings.statWindowNs);
      app.timers.prune(now - settings.httpWindowNs);
      const evicted = app.gauges.takeEvicted() + app.timers.takeEvicted();
      if (evicted > 0)
        deps.logger?.warn(
          { appId, evicted, maxEnvelopesPerApp: maxPerApp },
          'envelope buffer full: oldest envelopes dropped, metrics cover less than the window',
        );
      for (const result of windowAppMetrics(appId, app, app, now, settings)) {
        if (subscriber.closed) return;
        if (result.ok) subscriber.next(result.metric);
        else
          deps.logger?.warn(
            { appId, metricType: result.metricType, error: errorText(result.error) },
            'metric could not be computed: none emitted for this tick',
          );
      }
    };

    const replace = ({ appId, fromNs, beforeNs, envelopes }: GaugeReplacement): void => {
      const app = apps.get(appId);
      if (app === undefined || app.restTypes.length === 0) return;
      const gauges = createEnvelopeBuffer(maxPerApp);
      const from = fromNs ?? EARLIEST_NS;
      try {
        if (fromNs !== undefined) for (const envelope of app.gauges.between(EARLIEST_NS, fromNs)) gauges.add(envelope);
        for (const envelope of envelopes)
          if (envelope.gauge !== undefined && envelope.timestamp >= from && envelope.timestamp < beforeNs)
            gauges.add(envelope);
        for (const envelope of app.gauges.between(beforeNs, LATEST_NS)) gauges.add(envelope);
      } catch (err) {
        deps.logger?.warn({ appId, error: errorText(err) }, 'backfill skipped: its envelopes could not be buffered');
        return;
      }
      apps.set(appId, { ...app, gauges });
    };

    const tick = (): void => {
      const now = nowNs(deps.scheduler);
      for (const [appId, app] of apps) {
        if (subscriber.closed) return;
        emitApp(appId, app, now);
      }
    };

    const flush = (appId: string): void => {
      const app = apps.get(appId);
      if (app !== undefined) emitApp(appId, app, nowNs(deps.scheduler));
    };

    // A container of its own: the monitor subscription ends when monitor$ completes, the others must not.
    const subscription = new Subscription();
    subscription.add(
      sources.monitor$.subscribe({
        next: (monitors) => {
          try {
            setMonitors(monitors);
          } catch (err) {
            deps.logger?.error(
              { error: errorText(err) },
              'monitor update ignored: the previous monitors stay in force',
            );
          }
        },
        error: (err: unknown) => subscriber.error(err),
      }),
    );
    // Before envelope$: when both come from one shared source, a replacement emitted as it is
    // subscribed must not be missed.
    if (sources.replace$)
      subscription.add(sources.replace$.subscribe({ next: replace, error: (err: unknown) => subscriber.error(err) }));
    subscription.add(
      sources.envelope$.subscribe({
        next: ingest,
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
    if (sources.flush$)
      subscription.add(sources.flush$.subscribe({ next: flush, error: (err: unknown) => subscriber.error(err) }));
    else subscription.add(interval(deps.intervalMs, deps.scheduler).subscribe(tick));
    return subscription;
  });
};
