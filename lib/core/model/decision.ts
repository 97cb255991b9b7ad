import type { AppMetric } from './app-metric.ts';
import type { Trigger } from './policy.ts';

/**
 * What the service decided and why, one event per step. The evaluation pipeline emits these; logs,
 * the live WebSocket stream and the replay report all read the same events.
 */
export type Decision =
  | { readonly kind: 'metric'; readonly at: bigint; readonly metric: AppMetric }
  /** Every metric in the breach window satisfied the rule: a scaling call is due. */
  | {
      readonly kind: 'breach';
      readonly at: bigint;
      readonly appId: string;
      readonly ruleIndex: number;
      readonly trigger: Trigger;
      readonly values: readonly string[];
    }
  /** A rule was evaluated and did not breach; `reason` says why (values, not enough history, empty value...). */
  | {
      readonly kind: 'no-breach';
      readonly at: bigint;
      readonly appId: string;
      readonly ruleIndex: number;
      readonly metricType: string;
      readonly reason: string;
      readonly values: readonly string[];
    }
  /** A rule that cannot be evaluated (invalid operator...). */
  | {
      readonly kind: 'rule-skipped';
      readonly at: bigint;
      readonly appId: string;
      readonly ruleIndex: number;
      readonly reason: string;
    }
  /** A breach not sent because the app is in cooldown; `ruleIndex` and `values` repeat the breach for the log line. */
  | {
      readonly kind: 'cooldown-hold';
      readonly at: bigint;
      readonly appId: string;
      readonly trigger: Trigger;
      readonly cooldownUntil: bigint;
      readonly ruleIndex?: number;
      readonly values?: readonly string[];
    }
  /** A breach not sent because the app's breaker is open; a trial is allowed strictly after `retryAfter` (ns). */
  | {
      readonly kind: 'breaker-open';
      readonly at: bigint;
      readonly appId: string;
      readonly trigger: Trigger;
      readonly retryAfter: bigint;
      readonly ruleIndex?: number;
      readonly values?: readonly string[];
    }
  | {
      readonly kind: 'breaker-state';
      readonly at: bigint;
      readonly appId: string;
      readonly state: 'closed' | 'open' | 'half-open';
      readonly consecutiveFailures: number;
    }
  /** The breach is sent; `ruleIndex` and `values` repeat it so the line says why. */
  | {
      readonly kind: 'scaling-call';
      readonly at: bigint;
      readonly appId: string;
      readonly trigger: Trigger;
      readonly ruleIndex?: number;
      readonly values?: readonly string[];
    }
  | {
      readonly kind: 'scaling-result';
      readonly at: bigint;
      readonly appId: string;
      readonly trigger: Trigger;
      readonly ok: boolean;
      readonly status?: number;
      readonly cooldownExpiredAt?: bigint;
      /** new instances - old instances, when the scaling engine said. */
      readonly adjustment?: number;
      /** The scaling engine's own verdict when it answered: 0 scaled, 1 failed, 2 ignored. */
      readonly scalingStatus?: number;
      readonly error?: string;
    };

export type DecisionKind = Decision['kind'];
