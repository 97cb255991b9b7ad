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
export const createCircuitBreaker = (options: CircuitBreakerOptions): CircuitBreaker => new Breaker(options);

/**
 * A class, not a closure: every monitored app has a breaker, and five closures with their context
 * were about 600 bytes per app where the fields take about 80.
 */
class Breaker implements CircuitBreaker {
  readonly #options: CircuitBreakerOptions;
  #failures = 0;
  #tripped = false;
  #trialPending = false;
  #lastFailureMs = 0;
  // `upcoming` is the value the back-off series hands out next; `openPeriodMs` the one in force.
  #upcoming: number;
  #openPeriodMs: number;

  constructor(options: CircuitBreakerOptions) {
    this.#options = options;
    this.#upcoming = options.initialMs;
    this.#openPeriodMs = this.#resetSeries();
  }

  #nextInSeries(): number {
    const value = this.#upcoming;
    this.#upcoming = Math.min(this.#upcoming * 2, this.#options.maxMs);
    return value;
  }

  #resetSeries(): number {
    this.#upcoming = this.#options.initialMs;
    return this.#nextInSeries();
  }

  request(nowMs: number): BreakerGate {
    if (!this.#tripped) return { allowed: true, halfOpen: false };
    if (nowMs - this.#lastFailureMs > this.#openPeriodMs) {
      this.#openPeriodMs = this.#nextInSeries();
      this.#trialPending = true;
      return { allowed: true, halfOpen: true };
    }
    return { allowed: false, retryAfterMs: this.#lastFailureMs + this.#openPeriodMs };
  }

  success(): void {
    this.#openPeriodMs = this.#resetSeries();
    if (this.#tripped) {
      // The library advances the series once more while closing from half-open.
      this.#openPeriodMs = this.#nextInSeries();
      this.#tripped = false;
    }
    this.#trialPending = false;
    this.#failures = 0;
  }

  failure(nowMs: number): void {
    this.#failures += 1;
    this.#lastFailureMs = nowMs;
    this.#trialPending = false;
    // Equality, not >=: past the threshold the breaker is already open and stays so.
    const { failureThreshold } = this.#options;
    if (failureThreshold > 0 && this.#failures === failureThreshold) this.#tripped = true;
  }

  state(): BreakerState {
    return !this.#tripped ? 'closed' : this.#trialPending ? 'half-open' : 'open';
  }

  consecutiveFailures(): number {
    return this.#failures;
  }
}
