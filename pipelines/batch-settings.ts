import type { Backoff } from '../lib/core/time/backoff.ts';

/** The sizing and timing settings of a batch writer (writeInBatches), checked once when its pipeline is built. */
export interface BatchSettings {
  /** Everything buffered is written on each tick (`aggregator.save_interval` for app metrics). */
  readonly flushIntervalMs: number;
  /** A write carries at most this many rows, and this many buffered start a write at once. */
  readonly maxBatchSize: number;
  /** Rows held (buffered, in flight, awaiting retry) at most; past it the oldest are dropped. */
  readonly maxPending: number;
  /** Back-off between failed writes of the same batch. */
  readonly retry: Backoff;
}

/** Throws a RangeError naming the writer (`owner`) and the first of its settings that cannot work. */
export const checkBatchSettings = (owner: string, deps: BatchSettings): void => {
  const positive = { flushIntervalMs: deps.flushIntervalMs, 'retry.initialMs': deps.retry.initialMs };
  for (const [name, v] of Object.entries(positive))
    if (!(v > 0)) throw new RangeError(`${owner}: ${name} must be > 0, got ${v}`);
  if (!Number.isInteger(deps.maxBatchSize) || deps.maxBatchSize < 1)
    throw new RangeError(`${owner}: maxBatchSize must be a positive integer, got ${deps.maxBatchSize}`);
  if (!(deps.maxPending >= deps.maxBatchSize))
    throw new RangeError(
      `${owner}: maxPending (${deps.maxPending}) must be at least maxBatchSize (${deps.maxBatchSize})`,
    );
  if (!(deps.retry.maxMs >= deps.retry.initialMs))
    throw new RangeError(
      `${owner}: retry.maxMs (${deps.retry.maxMs}) must be at least retry.initialMs (${deps.retry.initialMs})`,
    );
};
