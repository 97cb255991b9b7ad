import type { Config } from '../adapters/config/schema.ts';
import type { ServiceSettings } from '../../pipelines/graph/service-settings.ts';

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
  breaker: {
    initialMs: config.circuitBreaker.back_off_initial_interval,
    maxMs: config.circuitBreaker.back_off_max_interval,
    failureThreshold: config.circuitBreaker.consecutive_failure_count,
  },
});
