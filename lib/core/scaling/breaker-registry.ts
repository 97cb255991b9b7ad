import { createCircuitBreaker } from './circuit-breaker.ts';
import type { CircuitBreaker, CircuitBreakerOptions } from './circuit-breaker.ts';

export interface BreakerRegistry {
  /**
   * Keeps the breakers of these apps, creates missing ones and discards the rest
   * (docs/anchor-compatibility.md#evaluation).
   */
  sync(appIds: Iterable<string>): void;
  get(appId: string): CircuitBreaker | undefined;
}

export const createBreakerRegistry = (options: CircuitBreakerOptions): BreakerRegistry => {
  let breakers = new Map<string, CircuitBreaker>();
  return {
    sync(appIds) {
      const next = new Map<string, CircuitBreaker>();
      for (const appId of appIds) next.set(appId, breakers.get(appId) ?? createCircuitBreaker(options));
      breakers = next;
    },
    get: (appId) => breakers.get(appId),
  };
};
