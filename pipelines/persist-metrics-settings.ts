import type { Backoff } from '../lib/core/time/backoff.ts';

/** The sizing and timing settings of `persistMetrics`, checked once when the pipeline is built. */
export interface PersistSettings {
  /** `aggregator.save_interval`: everything buffered is written on each tick. */
  readonly flushIntervalMs: number;
  /** A write carries at most this many metrics, and this many buffered start a write at once. */
  readonly maxBatchSize: number;
  /** Metrics held (buffered, in flight, awaiting retry) at most; past it the oldest are dropped. */
  readonly maxPending: number;
  /** Back-off between failed writes of the same batch. */
  readonly retry: Backoff;
}

/** Throws a RangeError naming the first setting that cannot work. */
export const checkPersistSettings = (deps: PersistSettings): void => {
  const positive = { flushIntervalMs: deps.flushIntervalMs, 'retry.initialMs': deps.retry.initialMs };
  for (const [name, v] of Object.entries(positive))
    if (!(v > 0)) throw new RangeError(`persistMetrics: ${name} must be > 0, got ${v}`);
  if (!Number.isInteger(deps.maxBatchSize) || deps.maxBatchSize < 1)
    throw new RangeError(`persistMetrics: maxBatchSize must be a positive integer, got ${deps.maxBatchSize}`);
  if (!(deps.maxPending >= deps.maxBatchSize))
    throw new RangeError(
      `persistMetrics: maxPending (${deps.maxPending}) must be at least maxBatchSize (${deps.maxBatchSize})`,
    );
  if (!(deps.retry.maxMs >= deps.retry.initialMs))
    throw new RangeError(
      `persistMetrics: retry.maxMs (${deps.retry.maxMs}) must be at least retry.initialMs (${deps.retry.initialMs})`,
    );
};
