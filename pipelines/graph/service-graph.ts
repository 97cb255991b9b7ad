import { EMPTY, interval, merge, type Observable } from 'rxjs';
import { filter, map, mergeMap, share, shareReplay, startWith, takeUntil, tap } from 'rxjs/operators';
import type { SchedulerLike } from 'rxjs';
import type { Decision } from '../../lib/core/model/decision.ts';
import type { Policy } from '../../lib/core/model/policy.ts';
import type {
  AppendJournal,
  PruneJournal,
  QueryAppMetrics,
  QueryPromQl,
  ReadEnvelopes,
  RetrievePolicies,
  SaveMetrics,
  Scale,
  StreamEnvelopes,
} from '../../lib/core/model/ports.ts';
import type { Monitors } from '../../lib/core/model/policy.ts';
import { isPromQlMetric } from '../../lib/core/metrics/metric-types.ts';
import { streamMetrics } from '../stream-metrics.ts';
import type { GaugeReplacement } from '../aggregate-metrics.ts';
import type { MetricCache } from '../../lib/core/evaluation/metric-cache.ts';
import { pollPolicies } from '../poll-policies.ts';
import type { PolicyPollEvent } from '../poll-policies.ts';
import { collectMetrics } from '../collect-metrics.ts';
import type { CollectEvent } from '../collect-metrics.ts';
import type { PersistEvent } from '../persist-metrics.ts';
import type { JournalWriteEvent } from '../journal-decisions.ts';
import type { DecisionWatcher } from '../../lib/core/explain/decision-watcher.ts';
import { journalPath } from './journal-path.ts';
import { metricPath } from './metric-path.ts';
import { createSliceBudget } from '../slice-budget.ts';
import { monitorsOf } from './monitors.ts';
import type { ServiceSettings } from './service-settings.ts';

/** The adapters the service graph is built from; everything with a side effect is in here. */
export interface ServiceAdapters {
  readonly scheduler: SchedulerLike;
  readonly retrievePolicies: RetrievePolicies;
  /** Extra poll triggers (policy-change notifications); EMPTY when the database cannot notify. */
  readonly policyChange$: Observable<unknown>;
  readonly owns$: Observable<(appId: string) => boolean>;
  readonly readEnvelopes: ReadEnvelopes;
  /** The RLP gateway stream; required when `settings.collection.mode` is `streaming`. */
  readonly streamEnvelopes?: StreamEnvelopes | undefined;
  readonly queryPromQl: QueryPromQl;
  readonly saveMetrics: SaveMetrics;
  readonly queryAppMetrics: QueryAppMetrics;
  readonly scale: Scale;
  readonly cache: MetricCache;
  /** The decision journal: the watcher that turns decisions into entries, and the table behind it; none when absent. */
  readonly journal?: {
    readonly watcher: DecisionWatcher;
    readonly append: AppendJournal;
    readonly prune: PruneJournal;
  };
  /**
   * A monotonic clock in ms (`performance.now`) when the scheduler runs in real time: then the
   * evaluations one burst of metrics starts run in slices of about 10 ms (see inSlices).
   */
  readonly monotonicMs?: (() => number) | undefined;
  /** Runs work once pending I/O is handled (`setImmediate`), for the slices; else the scheduler. */
  readonly later?: ((work: () => void) => () => void) | undefined;
}

/** The monitors of PromQL types alone: what the per-tick queries serve beside the streams. */
const promQlOnly = (monitors: Monitors): Monitors => {
  const out = new Map<string, readonly string[]>();
  for (const [appId, types] of monitors) {
    const promQl = types.filter(isPromQlMetric);
    if (promQl.length > 0) out.set(appId, promQl);
  }
  return out;
};

/** How long evaluations may hold the event loop in one go; a stall past 50 ms delays every timer and socket. */
const EVALUATION_SLICE_MS = 10;

export type ServiceEvent =
  | { readonly source: 'policies'; readonly event: PolicyPollEvent }
  | { readonly source: 'collect'; readonly event: CollectEvent }
  | { readonly source: 'persist'; readonly event: PersistEvent }
  | { readonly source: 'decision'; readonly event: Decision }
  | { readonly source: 'journal'; readonly event: JournalWriteEvent };

export interface ServiceGraph {
  /** Everything the service does, as one stream; the entry point subscribes to it once. */
  readonly event$: Observable<ServiceEvent>;
  /** Metrics and decisions, for the live WebSocket stream (hot; subscribe before event$). */
  readonly decision$: Observable<Decision>;
}

/**
 * Wires the pipelines: policies → monitors → log-cache collection → windowed aggregation →
 * (cache, then) one shared app-metric stream → persistence and evaluation.
 *
 * ```
 * poll tick   p---------------p----    startWith, every policy poll interval, and each policyChange$
 * collect     ---t---t---t---t---t-    every aggregator interval: one read per monitored app
 * event$      p--(rmn)(rmn)s(rmbc)k    r: read, m: metric, n/b: decisions, c: scale call, s: saved
 * stop$       ---------------------s
 * event$      ...-----------------(s|) ticks end, reads finish, persistence flushes, then complete
 * ```
 *
 * Shutdown: when `stop$` emits, the poll and collection ticks end; reads under way finish, the
 * app-metric stream completes, the persistence sink flushes everything it holds, and scaling calls
 * under way finish. `event$` completes when all of that is done.
 */
export const serviceGraph = (
  adapters: ServiceAdapters,
  settings: ServiceSettings,
  stop$: Observable<unknown>,
): ServiceGraph => {
  const { scheduler } = adapters;
  const pollTick$ = merge(
    interval(settings.policyPollIntervalMs, scheduler).pipe(startWith(-1)),
    adapters.policyChange$,
  ).pipe(takeUntil(stop$));

  const policyEvent$ = pollPolicies(
    { trigger$: pollTick$, owns$: adapters.owns$ },
    {
      scheduler,
      retrievePolicies: adapters.retrievePolicies,
      retry: { initialMs: Math.min(1000, settings.policyPollIntervalMs), maxMs: settings.policyPollIntervalMs },
    },
  ).pipe(share());

  const policy$: Observable<ReadonlyMap<string, Policy>> = policyEvent$.pipe(
    filter((e): e is Extract<PolicyPollEvent, { kind: 'policies' }> => e.kind === 'policies'),
    map((e) => e.policies),
    // The cache follows the policy set before any metric of a new app can arrive.
    tap((policies) => {
      adapters.cache.sync(policies.keys());
      adapters.journal?.watcher.sync(policies);
    }),
    shareReplay({ bufferSize: 1, refCount: true }),
  );
  const monitor$ = policy$.pipe(map(monitorsOf), shareReplay({ bufferSize: 1, refCount: true }));

  const collectTick$ = interval(settings.aggregatorIntervalMs, scheduler).pipe(takeUntil(stop$), share());
  const collectDeps = {
    scheduler,
    readEnvelopes: adapters.readEnvelopes,
    queryPromQl: adapters.queryPromQl,
    statWindowSecs: settings.statWindowSecs,
    concurrency: settings.logCacheConcurrency,
  };
  const collection = settings.collection;
  let collected$: Observable<CollectEvent>;
  if (collection.mode === 'streaming') {
    if (adapters.streamEnvelopes === undefined)
      throw new TypeError('serviceGraph: streaming collection needs the streamEnvelopes adapter');
    // Gauges come from the streams; throughput and responsetime stay on PromQL, queried each tick.
    collected$ = merge(
      streamMetrics(
        { tick$: collectTick$, monitor$ },
        {
          ...collectDeps,
          streamEnvelopes: adapters.streamEnvelopes,
          sourcesPerConnection: collection.sourcesPerConnection,
          reconnect: collection.reconnect,
          renewAfterSecs: collection.renewAfterSecs,
        },
      ),
      collectMetrics({ tick$: collectTick$, monitor$: monitor$.pipe(map(promQlOnly)) }, collectDeps),
    );
  } else collected$ = collectMetrics({ tick$: collectTick$, monitor$ }, collectDeps);
  const collect$ = collected$.pipe(share());

  const read$ = collect$.pipe(filter((e): e is Extract<CollectEvent, { kind: 'envelopes' }> => e.kind === 'envelopes'));
  const streamed$ = collect$.pipe(
    filter((e): e is Extract<CollectEvent, { kind: 'streamed' }> => e.kind === 'streamed'),
  );
  const refresh$ = collect$.pipe(filter((e): e is Extract<CollectEvent, { kind: 'refresh' }> => e.kind === 'refresh'));
  const replace$: Observable<GaugeReplacement> = collect$.pipe(
    filter((e): e is Extract<CollectEvent, { kind: 'backfill' }> => e.kind === 'backfill'),
  );
  const evaluationTick$ = settings.periodicEvaluation
    ? interval(settings.evaluationIntervalMs, scheduler).pipe(takeUntil(stop$))
    : undefined;
  // Each read is aggregated as soon as it is in (flush$), not on a later tick: the metric covers
  // [now − stat window, now) up to the read itself, as the anchor's per-poll read does.
  const {
    appMetric$,
    persist$,
    decision$: evaluated$,
  } = metricPath(
    {
      envelope$: merge(read$, streamed$).pipe(mergeMap((e) => e.envelopes)),
      flush$: merge(read$.pipe(map((e) => e.appId)), refresh$.pipe(mergeMap((e) => e.appIds))),
      replace$,
      monitor$,
      policy$,
      extraMetric$: collect$.pipe(
        filter((e): e is Extract<CollectEvent, { kind: 'metric' }> => e.kind === 'metric'),
        map((e) => e.metric),
      ),
      tick$: evaluationTick$,
    },
    {
      scheduler,
      cache: adapters.cache,
      save: adapters.saveMetrics,
      queryAppMetrics: adapters.queryAppMetrics,
      scale: adapters.scale,
      statWindowSecs: settings.statWindowSecs,
      aggregatorIntervalMs: settings.aggregatorIntervalMs,
      localHttpMetrics: false,
      saveIntervalMs: settings.saveIntervalMs,
      saveBatchSize: settings.saveBatchSize,
      maxPendingMetrics: settings.maxPendingMetrics,
      defaultBreachDurationSecs: settings.defaultBreachDurationSecs,
      breaker: settings.breaker,
      evaluationConcurrency: settings.evaluationConcurrency,
      // One budget for the cache intake and the evaluation: a slice of each in the same turn held
      // the event loop twice as long.
      slices: adapters.monotonicMs
        ? createSliceBudget({
            scheduler,
            budgetMs: EVALUATION_SLICE_MS,
            clock: adapters.monotonicMs,
            later: adapters.later,
          })
        : undefined,
    },
  );
  const decision$ = merge(
    appMetric$.pipe(map((metric): Decision => ({ kind: 'metric', at: metric.timestamp, metric }))),
    evaluated$,
  ).pipe(share());

  const journal$ = adapters.journal
    ? journalPath({ decision$, collect$ }, { scheduler, ...adapters.journal, settings: settings.journal })
    : EMPTY;

  const event$ = merge(
    policyEvent$.pipe(map((event): ServiceEvent => ({ source: 'policies', event }))),
    // Reads and failures are reported (counters, log lines); PromQL metrics arrive through decision$.
    collect$.pipe(
      filter((e) => e.kind !== 'metric'),
      map((event): ServiceEvent => ({ source: 'collect', event })),
    ),
    persist$.pipe(map((event): ServiceEvent => ({ source: 'persist', event }))),
    decision$.pipe(map((event): ServiceEvent => ({ source: 'decision', event }))),
    journal$.pipe(map((event): ServiceEvent => ({ source: 'journal', event }))),
  );
  return { event$, decision$ };
};
