export interface JournalSettings {
  readonly flushIntervalMs: number;
  readonly maxBatchSize: number;
  readonly maxPending: number;
  readonly pruneIntervalMs: number;
}

/**
 * How app gauges reach the aggregator: `polling` reads each app from log-cache every interval (the
 * anchor's way); `streaming` holds RLP gateway streams and reads log-cache only to backfill.
 */
export type CollectionSettings =
  | { readonly mode: 'polling' }
  | {
      readonly mode: 'streaming';
      readonly sourcesPerConnection: number;
      readonly reconnect: { readonly initialMs: number; readonly maxMs: number };
      /** Streams are renewed after this long, before the gateway's 14-minute timeout ends them. */
      readonly renewAfterSecs: number;
    };

/** The timing and sizing knobs the pipelines need, in the units they use (ms, seconds, counts). */
export interface ServiceSettings {
  readonly aggregatorIntervalMs: number;
  readonly policyPollIntervalMs: number;
  readonly saveIntervalMs: number;
  readonly saveBatchSize: number;
  readonly maxPendingMetrics: number;
  readonly statWindowSecs: number;
  readonly defaultBreachDurationSecs: number;
  readonly metricCacheSizePerApp: number;
  readonly evaluationIntervalMs: number;
  readonly periodicEvaluation: boolean;
  readonly evaluationConcurrency: number;
  readonly logCacheConcurrency: number;
  readonly collection: CollectionSettings;
  readonly breaker: { readonly initialMs: number; readonly maxMs: number; readonly failureThreshold: number };
  /** The decision journal's batching and pruning. */
  readonly journal: JournalSettings;
}
