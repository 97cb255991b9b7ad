import type { Config } from '../adapters/config/schema.ts';
import type { ServiceSettings } from '../../pipelines/graph/service-settings.ts';

/** Journal rows per insert, rows held while the database is away, and how often old rows are pruned. */
export const JOURNAL_BATCH_SIZE = 500;
export const JOURNAL_MAX_PENDING = 20_000;
export const JOURNAL_PRUNE_INTERVAL_MS = 600_000;
/** Stream reopen delays after a failure: 1 s doubling to a minute (after `closing` it reopens at once). */
export const STREAM_RECONNECT = { initialMs: 1_000, maxMs: 60_000 } as const;
/**
 * Streams are renewed after 12 minutes, on the next aggregation tick: before the gateway's 14-minute
 * stream timeout, with room for a 40 s tick and the handover, so that no reopen needs a log-cache read.
 */
export const STREAM_RENEW_AFTER_SECS = 720;

/** The pipeline settings carried by a validated configuration. */
export const settingsFromConfig = (config: Config): ServiceSettings => ({
  aggregatorIntervalMs: config.aggregator.aggregator_execute_interval,
  policyPollIntervalMs: config.aggregator.policy_poller_interval,
  saveIntervalMs: config.aggregator.save_interval,
  saveBatchSize: config.aggregator.save_batch_size,
  maxPendingMetrics: config.aggregator.max_pending_metrics,
  statWindowSecs: config.defaultStatWindowSecs,
  defaultBreachDurationSecs: config.defaultBreachDurationSecs,
  metricCacheSizePerApp: config.aggregator.metric_cache_size_per_app,
  evaluationIntervalMs: config.evaluator.evaluation_manager_execute_interval,
  periodicEvaluation: config.evaluator.periodic_evaluation,
  evaluationConcurrency: config.evaluator.evaluation_concurrency,
  logCacheConcurrency: config.logcache.request_concurrency,
  collection:
    config.logcache.collection === 'streaming'
      ? {
          mode: 'streaming',
          sourcesPerConnection: config.logcache.stream_source_ids,
          reconnect: STREAM_RECONNECT,
          renewAfterSecs: STREAM_RENEW_AFTER_SECS,
        }
      : { mode: 'polling' },
  breaker: {
    initialMs: config.circuitBreaker.back_off_initial_interval,
    maxMs: config.circuitBreaker.back_off_max_interval,
    failureThreshold: config.circuitBreaker.consecutive_failure_count,
  },
  journal: {
    flushIntervalMs: config.aggregator.save_interval,
    maxBatchSize: JOURNAL_BATCH_SIZE,
    maxPending: JOURNAL_MAX_PENDING,
    pruneIntervalMs: Math.min(JOURNAL_PRUNE_INTERVAL_MS, config.decisions.retention),
  },
});
