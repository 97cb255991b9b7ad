import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** The Prometheus content type the anchor serves (docs/anchor-compatibility.md#health). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores';

const PREFIX = 'autoscaler_eventgenerator';

export type PoolDb = 'appMetricDB' | 'policyDB';

/** Connection-pool statistics, as Go's sql.DBStats reports them (wait duration in ns). */
export interface PoolStats {
  readonly maxOpenConnections: number;
  readonly openConnections: number;
  readonly inUse: number;
  readonly idle: number;
  readonly waitCount: number;
  readonly waitDurationNs: number;
  readonly maxIdleClosed: number;
  readonly maxLifetimeClosed: number;
}

const POOL_GAUGES: ReadonlyArray<readonly [keyof PoolStats, string, string]> = [
  ['maxOpenConnections', 'max_open_connections', 'maximum number of open connections'],
  ['openConnections', 'open_connections', 'connections in use or idle'],
  ['inUse', 'in_use', 'connections in use'],
  ['idle', 'idle', 'idle connections'],
  ['waitCount', 'wait_count', 'connections waited for'],
  ['waitDurationNs', 'wait_duration', 'total time waited for new connections, in ns'],
  ['maxIdleClosed', 'max_idle_closed', 'connections closed for exceeding the idle limit'],
  ['maxLifetimeClosed', 'max_lifetime_closed', 'connections closed for exceeding their lifetime'],
];

export interface MetricsRegistry {
  readonly registry: Registry;
  readonly contentType: typeof PROMETHEUS_CONTENT_TYPE;
  /** The text exposition of every metric. */
  render(): Promise<string>;
  /** Marks one /v1 request in flight; call the returned function once when it ends. */
  trackHttpRequest(): () => void;
  setPoolStats(db: PoolDb, stats: Partial<PoolStats>): void;
  envelopesParsed(count?: number): void;
  envelopesRejected(reason: string, count?: number): void;
  appMetricsProduced(count?: number): void;
  appMetricsSaved(count?: number): void;
  appMetricsRejected(reason: string, count?: number): void;
  appMetricsDropped(reason: string, count?: number): void;
  /** One call to the scaling engine, by outcome (e.g. `scaled`, `cooldown`, `failed`, `breaker-open`). */
  scalingCall(outcome: string): void;
  /** One transition of an app's circuit breaker into `state`. */
  breakerStateChanged(state: string): void;
  /** The number of policies currently held (a gauge). */
  setPoliciesLoaded(count: number): void;
  policiesRejected(reason: string, count?: number): void;
  /** One log-cache request, by outcome (e.g. `ok`, `error`, `unauthorized`). */
  logCacheRequest(outcome: string): void;
  /** Decision-journal rows written to the database. */
  journalRowsWritten(count?: number): void;
  /** Decision-journal rows dropped, by reason (`buffer-full`, `shutdown`, `retention`, `row-cap`). */
  journalRowsDropped(reason: string, count?: number): void;
}

/**
 * A private prom-client registry with the anchor's metric names, the Node process collectors (the
 * stand-in for Go's runtime collectors) and our own counters, fed through the small functions above.
 */
export const createMetricsRegistry = (options: { readonly collectDefaults?: boolean } = {}): MetricsRegistry => {
  const registry = new Registry();
  const registers = [registry];
  if (options.collectDefaults ?? true) collectDefaultMetrics({ register: registry });
  const inFlight = new Gauge({
    name: `${PREFIX}_concurrent_http_request`,
    help: 'in-flight requests on the /v1 routes',
    registers,
  });
  const poolGauges = (db: PoolDb) =>
    POOL_GAUGES.map(
      ([field, suffix, help]) =>
        [field, new Gauge({ name: `${PREFIX}_${db}_${suffix}`, help: `${db}: ${help}`, registers })] as const,
    );
  const pools: Record<PoolDb, ReadonlyArray<readonly [keyof PoolStats, Gauge]>> = {
    appMetricDB: poolGauges('appMetricDB'),
    policyDB: poolGauges('policyDB'),
  };
  const counter = (name: string, help: string) => new Counter({ name: `${PREFIX}_${name}_total`, help, registers });
  const labelled = <L extends string>(name: string, help: string, label: L) =>
    new Counter<L>({ name: `${PREFIX}_${name}_total`, help, labelNames: [label], registers });
  const envelopesParsed = counter('envelopes_parsed', 'log-cache envelopes converted into samples');
  const envelopesRejected = labelled('envelopes_rejected', 'log-cache envelopes that could not be used', 'reason');
  const produced = counter('app_metrics_produced', 'app metrics aggregated');
  const saved = counter('app_metrics_saved', 'app metrics written to app_metric');
  const rejected = labelled('app_metrics_rejected', 'app metrics that cannot be stored', 'reason');
  const dropped = labelled('app_metrics_dropped', 'app metrics dropped before saving', 'reason');
  const scaling = labelled('scaling_calls', 'calls to the scaling engine', 'outcome');
  const breaker = labelled('breaker_state_changes', 'circuit-breaker transitions', 'state');
  const policies = new Gauge({ name: `${PREFIX}_policies_loaded`, help: 'policies held by this instance', registers });
  const policiesRejected = labelled('policies_rejected', 'stored policies that could not be used', 'reason');
  const logCache = labelled('logcache_requests', 'log-cache requests', 'outcome');
  const journalWritten = counter('decision_journal_rows_written', 'decision-journal rows written');
  const journalDropped = labelled(
    'decision_journal_rows_dropped',
    'decision-journal rows dropped unwritten or pruned',
    'reason',
  );
  return {
    registry,
    contentType: PROMETHEUS_CONTENT_TYPE,
    render: () => registry.metrics(),
    trackHttpRequest: () => {
      inFlight.inc();
      let ended = false;
      return () => {
        if (!ended) inFlight.dec();
        ended = true;
      };
    },
    setPoolStats: (db, stats) => {
      for (const [field, gauge] of pools[db]) {
        const value = stats[field];
        if (value !== undefined) gauge.set(value);
      }
    },
    envelopesParsed: (count = 1) => envelopesParsed.inc(count),
    envelopesRejected: (reason, count = 1) => envelopesRejected.inc({ reason }, count),
    appMetricsProduced: (count = 1) => produced.inc(count),
    appMetricsSaved: (count = 1) => saved.inc(count),
    appMetricsRejected: (reason, count = 1) => rejected.inc({ reason }, count),
    appMetricsDropped: (reason, count = 1) => dropped.inc({ reason }, count),
    scalingCall: (outcome) => scaling.inc({ outcome }),
    breakerStateChanged: (state) => breaker.inc({ state }),
    setPoliciesLoaded: (count) => policies.set(count),
    policiesRejected: (reason, count = 1) => policiesRejected.inc({ reason }, count),
    logCacheRequest: (outcome) => logCache.inc({ outcome }),
    journalRowsWritten: (count = 1) => journalWritten.inc(count),
    journalRowsDropped: (reason, count = 1) => journalDropped.inc({ reason }, count),
  };
};
