export interface CircuitBreakerOptions {
  /** First open period (`circuitBreaker.back_off_initial_interval`). */
  readonly initialMs: number;
  /** Cap on the open period (`circuitBreaker.back_off_max_interval`). */
  readonly maxMs: number;
  /** Consecutive failures that trip the breaker; 0 or less never trips. */
  readonly failureThreshold: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export type BreakerGate =
  | { readonly allowed: true; readonly halfOpen: boolean }
  /** A trial is allowed only strictly after `retryAfterMs` (an instant on the caller's clock). */
  | { readonly allowed: false; readonly retryAfterMs: number };

export interface CircuitBreaker {
  /** Asks to send one call at `nowMs`; an allowed half-open trial must be followed by success or failure. */
  request(nowMs: number): BreakerGate;
  success(nowMs: number): void;
  failure(nowMs: number): void;
  state(): BreakerState;
  consecutiveFailures(): number;
}

/**
 * One app's breaker, with the semantics of docs/anchor-compatibility.md#circuit-breaker: trips when
 * the consecutive failures reach the threshold, then allows one trial each time strictly more than
 * the current open period has passed since the last failure; open periods double from initial up to
 * max. Time is passed in, so the same object runs in wall-clock and in virtual time.
 *
 * After a successful half-open trial the next open period stays at the second value of the series
 * until a success while closed resets it (the anchor's library behaviour).
 */
export const createCircuitBreaker = (options: CircuitBreakerOptions): CircuitBreaker => {
  const { initialMs, maxMs, failureThreshold } = options;
  let failures = 0;
  let tripped = false;
  let trialPending = false;
  let lastFailureMs = 0;
  // `upcoming` is the value the back-off series hands out next; `openPeriodMs` the one in force.
  let upcoming = initialMs;
  const nextInSeries = (): number => {
    const value = upcoming;
    upcoming = Math.min(upcoming * 2, maxMs);
    return value;
  };
  const resetSeries = (): number => {
    upcoming = initialMs;
    return nextInSeries();
  };
  let openPeriodMs = resetSeries();

  return {
    request(nowMs) {
      if (!tripped) return { allowed: true, halfOpen: false };
      if (nowMs - lastFailureMs > openPeriodMs) {
        openPeriodMs = nextInSeries();
        trialPending = true;
        return { allowed: true, halfOpen: true };
      }
      return { allowed: false, retryAfterMs: lastFailureMs + openPeriodMs };
    },
    success() {
      openPeriodMs = resetSeries();
      if (tripped) {
        // The library advances the series once more while closing from half-open.
        openPeriodMs = nextInSeries();
        tripped = false;
      }
      trialPending = false;
      failures = 0;
    },
    failure(nowMs) {
      failures += 1;
      lastFailureMs = nowMs;
      trialPending = false;
      // Equality, not >=: past the threshold the breaker is already open and stays so.
      if (failureThreshold > 0 && failures === failureThreshold) tripped = true;
    },
    state: () => (!tripped ? 'closed' : trialPending ? 'half-open' : 'open'),
    consecutiveFailures: () => failures,
  };
};
