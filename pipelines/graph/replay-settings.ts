import type { CircuitBreakerOptions } from '../../lib/core/scaling/circuit-breaker.ts';

/** The service knobs a replay uses, in pipeline units; defaults are the anchor's CF defaults. */
export interface ReplaySettings {
  readonly statWindowSecs: number;
  readonly defaultBreachDurationSecs: number;
  readonly aggregatorIntervalMs: number;
  readonly saveIntervalMs: number;
  readonly metricCacheSizePerApp: number;
  /** A periodic evaluation of every rule on top of the per-metric one; none when undefined. */
  readonly evaluationIntervalMs?: number | undefined;
  readonly breaker: CircuitBreakerOptions;
  /** The simulated scaling engine's cooldown for rules without one. */
  readonly defaultCoolDownSecs: number;
}

export const DEFAULT_REPLAY_SETTINGS: ReplaySettings = {
  statWindowSecs: 120,
  defaultBreachDurationSecs: 120,
  aggregatorIntervalMs: 40_000,
  saveIntervalMs: 5_000,
  metricCacheSizePerApp: 300,
  breaker: { initialMs: 5 * 60_000, maxMs: 120 * 60_000, failureThreshold: 3 },
  defaultCoolDownSecs: 300,
};
