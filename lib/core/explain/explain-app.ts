import type { AppMetric } from '../model/app-metric.ts';
import type { JournalEntry } from '../model/decision-journal.ts';
import type { Policy, ScalingRule } from '../model/policy.ts';
import { isOperator } from '../policy/operator.ts';
import type { AppWatch } from './app-watch.ts';
import { ruleProgress } from './rule-progress.ts';
import {
  clockTime,
  describeReadFailures,
  failedSide,
  operatorWords,
  secondsBetween,
  times,
  withUnit,
} from './words.ts';

export type RuleState = 'breaching' | 'not-breaching' | 'no-data' | 'cooldown' | 'breaker-open' | 'at-bound';

/** Which instance evaluates the app, and how to reach it. */
export interface OwnerInfo {
  /** Lease member id, or the shard index in static mode; undefined while no instance owns it. */
  readonly memberId?: string;
  readonly instanceIndex?: number;
  /** Whether the instance answering evaluates the app. */
  readonly thisInstance: boolean;
  /** On Cloud Foundry: the `X-Cf-App-Instance` value that routes a request to the owner. */
  readonly cfAppInstance?: string;
}

export interface ExplainInputs {
  readonly policy: Policy;
  /** The live watch (owner) or the one folded from the journal; undefined when nothing is known yet. */
  readonly watch: AppWatch | undefined;
  /** Per rule index, the app metrics of its query window [now - 2bd, now]. */
  readonly rows: ReadonlyMap<number, readonly AppMetric[]>;
  readonly now: bigint;
  readonly owner: OwnerInfo;
  /** `live`: this instance's own state; `journal`: another instance's, as journaled. */
  readonly source: 'live' | 'journal';
  readonly defaultBreachDurationSecs: number;
}

export interface RuleExplanation {
  readonly metric_type: string;
  readonly operator: string;
  readonly threshold: bigint;
  readonly breach_duration_secs: number;
  readonly values: readonly { readonly timestamp: bigint; readonly value: string }[];
  readonly state: RuleState;
  readonly breach_progress_secs: { readonly held: number; readonly required: number };
  readonly reason: string;
}

export interface Explanation {
  readonly app_id: string;
  /** ns: the instant the explanation is about. */
  readonly at: bigint;
  readonly source: 'live' | 'journal';
  readonly owner: {
    readonly member_id: string | null;
    readonly instance_index: number | null;
    readonly this_instance: boolean;
    readonly cf_app_instance?: string;
  };
  readonly instance_min_count: number;
  readonly instance_max_count: number;
  readonly rules: readonly RuleExplanation[];
  readonly cooldown: {
    readonly active: boolean;
    readonly until: bigint | null;
    readonly last_scaled_at: bigint | null;
  };
  readonly breaker: {
    readonly state: 'closed' | 'open' | 'half-open';
    readonly consecutive_failures: number;
    readonly open_until: bigint | null;
    readonly last_error: string | null;
  };
  readonly data: {
    readonly newest_envelope_at: bigint | null;
    readonly newest_envelope_age_secs: number | null;
    readonly newest_metric_at: bigint | null;
    readonly last_logcache_error: { readonly at: bigint; readonly message: string; readonly failures: number } | null;
  };
  readonly last_decision: {
    readonly at: bigint;
    readonly event: string;
    readonly rule_index: number | null;
    readonly reason: string;
  } | null;
}

const wire = (entry: JournalEntry | undefined): Explanation['last_decision'] =>
  entry ? { at: entry.at, event: entry.event, rule_index: entry.ruleIndex ?? null, reason: entry.reason } : null;

interface RuleVerdict {
  readonly state: RuleState;
  readonly held: number;
  readonly reason: string;
}

/** One rule's state and the sentence that explains it, in order of what stops a scaling call first. */
const judgeRule = (
  index: number,
  rule: ScalingRule,
  bd: number,
  rows: readonly AppMetric[],
  inputs: ExplainInputs,
): RuleVerdict & { readonly window: readonly AppMetric[] } => {
  const { watch, now } = inputs;
  if (!isOperator(rule.operator))
    return {
      state: 'not-breaching',
      held: 0,
      window: [],
      reason: `the rule cannot be evaluated: operator ${JSON.stringify(rule.operator)} is not one of <, <=, >, >=; fix the policy`,
    };
  const progress = ruleProgress(
    rows,
    { operator: rule.operator, threshold: rule.threshold, breachDurationSecs: bd },
    now,
  );
  const { window, newest } = progress;
  const unit = newest?.unit ?? watch?.data.units.get(rule.metricType) ?? '';
  const condition = `${operatorWords(rule.operator)} ${withUnit(rule.threshold, unit)}`;
  const held = Math.min(progress.heldSecs, bd);
  const inWindow = window.some((m) => m.value !== '');

  if (!inWindow) {
    const since = newest ? `since ${clockTime(newest.timestamp)}` : `in the last ${2 * bd} s`;
    const failed = watch?.data.lastReadError;
    const failures = watch?.data.readFailures ?? 0;
    const cause =
      failed && failures > 0
        ? `: ${describeReadFailures(failed.message, failures, failed.at)}`
        : watch?.data.newestEnvelopeAt !== undefined
          ? `: the newest envelope is from ${clockTime(watch.data.newestEnvelopeAt)}; check that the app is running and emitting ${rule.metricType}`
          : `: log-cache has sent nothing for it; check that the app is running and emitting ${rule.metricType}`;
    return { state: 'no-data', held: 0, window, reason: `no ${rule.metricType} metrics ${since}${cause}` };
  }

  const triggeredLast = watch?.lastCall?.ruleIndex === index;
  if (progress.holding || triggeredLast) {
    const cooldownUntil = watch?.cooldownUntil;
    if (cooldownUntil !== undefined && cooldownUntil > now && progress.holding) {
      const scaled = watch?.lastScaledAt !== undefined ? `scaled at ${clockTime(watch.lastScaledAt)}; ` : '';
      return {
        state: 'cooldown',
        held,
        window,
        reason: `${scaled}in cooldown until ${clockTime(cooldownUntil)}; ${rule.metricType} is still ${condition}, so a scaling call follows after it if the condition holds`,
      };
    }
    const breaker = watch?.breaker;
    if (breaker && breaker.state !== 'closed' && progress.holding) {
      const until = breaker.retryAfter !== undefined ? ` until ${clockTime(breaker.retryAfter)}` : '';
      return {
        state: 'breaker-open',
        held,
        window,
        reason: `the scaling engine failed ${times(breaker.failures)} in a row${breaker.lastError ? ` (last: ${breaker.lastError})` : ''}; the circuit breaker holds scaling calls${until}; check the scaling engine`,
      };
    }
    const bound = watch?.bound;
    if (bound && bound.ruleIndex === index && progress.holding) {
      const count = bound.side === 'max' ? inputs.policy.instanceMaxCount : inputs.policy.instanceMinCount;
      return {
        state: 'at-bound',
        held,
        window,
        reason: `instance count is already ${count}, the policy ${bound.side === 'max' ? 'maximum' : 'minimum'}; the scaling engine ignored the trigger at ${clockTime(bound.at)}; change instance_${bound.side}_count to scale further`,
      };
    }
    const reported = watch?.data.instances;
    const side = rule.adjustment.startsWith('-') ? 'min' : 'max';
    const limit = side === 'max' ? inputs.policy.instanceMaxCount : inputs.policy.instanceMinCount;
    if (progress.holding && reported !== undefined && (side === 'max' ? reported >= limit : reported <= limit)) {
      return {
        state: 'at-bound',
        held,
        window,
        reason: `instance count is already ${reported}, the policy ${side === 'max' ? 'maximum' : 'minimum'}; the trigger is still sent, and the scaling engine will ignore it; change instance_${side}_count to scale further`,
      };
    }
  }

  if (progress.holding) {
    const last = newest ? ` (last value ${withUnit(newest.value, unit)})` : '';
    return {
      state: 'breaching',
      held,
      window,
      reason:
        held >= bd
          ? `${rule.metricType} has been ${condition} for the required ${bd} s${last}; a scaling call is due`
          : `${rule.metricType} has been ${condition} for ${held} s of the required ${bd} s${last}; a scaling call follows if it holds ${bd - held} s more`,
    };
  }
  const last = newest ? withUnit(newest.value, unit) : 'none';
  const side = failedSide(rule.operator);
  if (progress.runFrom !== undefined && progress.heldSecs > 0)
    return {
      state: 'not-breaching',
      held: 0,
      window,
      reason: `${rule.metricType} was ${condition} for ${held} s of the required ${bd} s; the last value (${last}) is ${side} the threshold`,
    };
  return {
    state: 'not-breaching',
    held: 0,
    window,
    reason: `${rule.metricType} is not ${condition}: the last value is ${last}${newest ? ` at ${clockTime(newest.timestamp)}` : ''}`,
  };
};

/**
 * Why an app scales or does not, rule by rule, from its policy, the app metrics of each rule's
 * window and what the decisions said (live on the owner, from the journal elsewhere). Pure.
 */
export const explainApp = (inputs: ExplainInputs): Explanation => {
  const { policy, watch, now, owner } = inputs;
  const rules = policy.rules.map((rule, index): RuleExplanation => {
    const bd = rule.breachDurationSecs > 0 ? rule.breachDurationSecs : inputs.defaultBreachDurationSecs;
    const verdict = judgeRule(index, rule, bd, inputs.rows.get(index) ?? [], inputs);
    return {
      metric_type: rule.metricType,
      operator: rule.operator,
      threshold: rule.threshold,
      breach_duration_secs: bd,
      values: verdict.window.map((m) => ({ timestamp: m.timestamp, value: m.value })),
      state: verdict.state,
      breach_progress_secs: { held: verdict.held, required: bd },
      reason: verdict.reason,
    };
  });
  const newestMetric = [...inputs.rows.values()]
    .flat()
    .reduce<bigint | undefined>((max, m) => (max === undefined || m.timestamp > max ? m.timestamp : max), undefined);
  const cooldownUntil = watch?.cooldownUntil;
  const envelopeAt = watch?.data.newestEnvelopeAt;
  const failed = watch?.data.lastReadError;
  return {
    app_id: policy.appId,
    at: now,
    source: inputs.source,
    owner: {
      member_id: owner.memberId ?? null,
      instance_index: owner.instanceIndex ?? null,
      this_instance: owner.thisInstance,
      ...(owner.cfAppInstance !== undefined ? { cf_app_instance: owner.cfAppInstance } : {}),
    },
    instance_min_count: policy.instanceMinCount,
    instance_max_count: policy.instanceMaxCount,
    rules,
    cooldown: {
      active: cooldownUntil !== undefined && cooldownUntil > now,
      until: cooldownUntil ?? null,
      last_scaled_at: watch?.lastScaledAt ?? null,
    },
    breaker: {
      state: watch?.breaker.state ?? 'closed',
      consecutive_failures: watch?.breaker.failures ?? 0,
      open_until: watch && watch.breaker.state !== 'closed' ? (watch.breaker.retryAfter ?? null) : null,
      last_error: watch?.breaker.lastError ?? null,
    },
    data: {
      newest_envelope_at: envelopeAt ?? null,
      newest_envelope_age_secs: envelopeAt !== undefined ? secondsBetween(envelopeAt, now) : null,
      newest_metric_at: newestMetric ?? null,
      last_logcache_error:
        failed !== undefined
          ? { at: failed.at, message: failed.message, failures: watch?.data.readFailures ?? 0 }
          : null,
    },
    last_decision: wire(watch?.lastEntry),
  };
};
