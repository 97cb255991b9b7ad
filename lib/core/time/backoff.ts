/** An exponential back-off: `initialMs` before the first retry, `factor` times longer each time after, at most `maxMs`. */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Growth per retry; 2 (doubling) when absent. */
  readonly factor?: number | undefined;
}

/**
 * The delay before retry number `attempt` (counting from 1; lower counts as 1): initialMs × factor^(attempt − 1),
 * capped at maxMs. Any attempt count is safe: the power may overflow to Infinity, which the cap absorbs.
 */
export const backoffMs = (attempt: number, { initialMs, maxMs, factor = 2 }: Backoff): number => {
  const grown = initialMs * factor ** Math.max(0, attempt - 1);
  // 0 × Infinity: a zero initial delay stays zero however many retries there were.
  return Math.min(maxMs, Number.isNaN(grown) ? 0 : grown);
};

/** `backoffMs` bound to one schedule, for options that take `(attempt) => delay`. */
export const backoffSchedule =
  (backoff: Backoff): ((attempt: number) => number) =>
  (attempt) =>
    backoffMs(attempt, backoff);
