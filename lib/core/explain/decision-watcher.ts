import type { Decision } from '../model/decision.ts';
import type { JournalDetail, JournalEntry, JournalEvent } from '../model/decision-journal.ts';
import type { Policy, ScalingRule, Trigger } from '../model/policy.ts';
import { isOperator, satisfies } from '../policy/operator.ts';
import { applyEntry, emptyWatch } from './app-watch.ts';
import type { AppWatch, RulePhase } from './app-watch.ts';
import type { WatchInput } from './watch-input.ts';
import { clockTime, describeReadFailures, failedSide, operatorWords, times, withUnit } from './words.ts';

export interface DecisionWatcher {
  /** Follows this instance's policy set: watches of apps that left it are dropped. */
  sync(policies: ReadonlyMap<string, Policy>): void;
  /** Updates the app's watch and returns the journal entries for what changed (usually none). */
  observe(input: WatchInput): readonly JournalEntry[];
  get(appId: string): AppWatch | undefined;
}

const NONE: readonly JournalEntry[] = [];
const INTEGER = /^[+-]?\d+$/;

// The evaluator's words for "nothing to judge" (judge-breach.ts, evaluate-rules.ts); a spec ties them.
const NO_DATA_PREFIXES = ['the appmetrics are not enough', 'no metrics in the', 'metrics query failed', 'empty value'];
// scale-on-breach.ts IN_FLIGHT_REASON: the rule is breached, a call is under way.
const IN_FLIGHT_PREFIX = 'breached, but a scaling call for this app is still in flight';

/** The phase an evaluation puts a rule in; `breaching` as soon as the newest value meets the condition. */
export const phaseOfEvaluation = (
  reason: string,
  values: readonly string[],
  rule: ScalingRule | undefined,
): RulePhase => {
  if (values.length === 0 || NO_DATA_PREFIXES.some((p) => reason.startsWith(p))) return 'no-data';
  const newest = values.at(-1) ?? '';
  if (
    rule &&
    isOperator(rule.operator) &&
    INTEGER.test(newest) &&
    satisfies(BigInt(newest), rule.operator, rule.threshold)
  )
    return 'breaching';
  return 'not-breaching';
};

const describeTrigger = (t: Trigger): string =>
  `${t.metricType} ${t.operator} ${withUnit(t.threshold, t.metricUnit)} for ${t.breachDurationSecs} s, ${t.adjustment}`;

/**
 * Turns the Decision stream (and log-cache read outcomes) into per-app watches for `explain`, and
 * says which decisions changed something worth journaling: a breach starting or ending, data going
 * missing or coming back, a scaling call and its answer, the first hold by cooldown, breaker or
 * bound, the breaker opening or closing. Repeats (the same hold every evaluation, the same ignored
 * call at a bound) change nothing and give no entry.
 */
export const createDecisionWatcher = (): DecisionWatcher => {
  let policies: ReadonlyMap<string, Policy> = new Map();
  const watches = new Map<string, AppWatch>();

  const watchOf = (appId: string): AppWatch | undefined => {
    let watch = watches.get(appId);
    if (watch === undefined && policies.has(appId)) {
      watch = emptyWatch(appId);
      watches.set(appId, watch);
    }
    return watch;
  };

  const record = (
    watch: AppWatch,
    at: bigint,
    event: JournalEvent,
    reason: string,
    extra: {
      ruleIndex?: number | undefined;
      metricType?: string | undefined;
      values?: readonly string[] | undefined;
      detail?: JournalDetail;
    } = {},
  ): readonly JournalEntry[] => {
    const entry: JournalEntry = {
      appId: watch.appId,
      at,
      event,
      ...(extra.ruleIndex !== undefined ? { ruleIndex: extra.ruleIndex } : {}),
      ...(extra.metricType !== undefined ? { metricType: extra.metricType } : {}),
      values: extra.values ?? [],
      reason,
      detail: extra.detail ?? {},
    };
    applyEntry(watch, entry);
    return [entry];
  };

  const unitOf = (watch: AppWatch, metricType: string) => watch.data.units.get(metricType) ?? '';

  const dataCause = (watch: AppWatch): string => {
    const failed = watch.data.lastReadError;
    if (watch.data.readFailures === 0 || failed === undefined) return '';
    return `; ${describeReadFailures(failed.message, watch.data.readFailures, failed.at)}`;
  };

  const evaluated = (
    watch: AppWatch,
    d: { at: bigint; ruleIndex: number; metricType: string; reason: string; values: readonly string[] },
    phase: RulePhase,
  ): readonly JournalEntry[] => {
    const before = watch.rules.get(d.ruleIndex);
    // Until a rule's first journaled change, calm and still-gathering evaluations (a fresh start,
    // a new owner) are not news; missing data is, once log-cache reads have failed.
    const quiet =
      (before === undefined || before.quiet === true) &&
      (phase === 'not-breaching' || (phase === 'no-data' && watch.data.readFailures === 0));
    const unchanged = before?.phase === phase && before.quiet !== true;
    if (unchanged || quiet) {
      // Only the phase is kept, updated in place: an explanation reads the values themselves, and
      // the watches of many apps should cost little memory and no garbage per evaluation.
      if (before?.phase === phase) before.at = d.at;
      else watch.rules.set(d.ruleIndex, { phase, since: d.at, at: d.at, ...(quiet ? { quiet: true } : {}) });
      return NONE;
    }
    const rule = policies.get(watch.appId)?.rules[d.ruleIndex];
    const unit = unitOf(watch, d.metricType);
    const newest = d.values.at(-1);
    const condition = rule ? `${operatorWords(rule.operator)} ${withUnit(rule.threshold, unit)}` : 'over its threshold';
    const common = { ruleIndex: d.ruleIndex, metricType: d.metricType, values: d.values };
    if (phase === 'breaching')
      return record(
        watch,
        d.at,
        'breach-started',
        `${d.metricType} is ${condition}${newest ? ` (${withUnit(newest, unit)})` : ''}; a scaling call follows once it holds for ${rule?.breachDurationSecs ?? '?'} s`,
        common,
      );
    if (phase === 'no-data')
      return record(
        watch,
        d.at,
        'data-missing',
        `no ${d.metricType} metrics to judge: ${d.reason}${dataCause(watch)}`,
        {
          ...common,
          detail: {
            readFailures: watch.data.readFailures,
            ...(watch.data.lastReadError ? { lastReadError: watch.data.lastReadError.message } : {}),
          },
        },
      );
    if (before?.phase === 'no-data')
      return record(
        watch,
        d.at,
        'data-resumed',
        `${d.metricType} metrics are back${newest ? ` (${withUnit(newest, unit)})` : ''}`,
        common,
      );
    return record(
      watch,
      d.at,
      'breach-ended',
      `${d.metricType} is no longer ${condition}${newest ? `: ${withUnit(newest, unit)} is ${rule ? failedSide(rule.operator) : 'past'} the threshold` : ''}`,
      common,
    );
  };

  const decided = (watch: AppWatch, d: Exclude<Decision, { kind: 'metric' }>): readonly JournalEntry[] => {
    switch (d.kind) {
      case 'no-breach': {
        if (d.reason.startsWith(IN_FLIGHT_PREFIX)) return NONE;
        const rule = policies.get(d.appId)?.rules[d.ruleIndex];
        return evaluated(watch, d, phaseOfEvaluation(d.reason, d.values, rule));
      }
      case 'breach':
        return evaluated(
          watch,
          {
            at: d.at,
            ruleIndex: d.ruleIndex,
            metricType: d.trigger.metricType,
            reason: 'every value of the breach window meets the condition',
            values: d.values,
          },
          'breaching',
        );
      case 'rule-skipped':
        return NONE;
      case 'cooldown-hold':
        if (watch.hold === 'cooldown') {
          watch.cooldownUntil = d.cooldownUntil;
          return NONE;
        }
        return record(
          watch,
          d.at,
          'cooldown-hold',
          `breached, but in cooldown until ${clockTime(d.cooldownUntil)}; not sent`,
          {
            ruleIndex: d.ruleIndex,
            metricType: d.trigger.metricType,
            values: d.values,
            detail: { cooldownUntil: d.cooldownUntil },
          },
        );
      case 'breaker-open':
        if (watch.hold === 'breaker') {
          watch.breaker.retryAfter = d.retryAfter;
          return NONE;
        }
        return record(
          watch,
          d.at,
          'breaker-hold',
          `breached, but the circuit breaker is open after ${times(watch.breaker.failures)} failed calls; next trial after ${clockTime(d.retryAfter)}`,
          {
            ruleIndex: d.ruleIndex,
            metricType: d.trigger.metricType,
            values: d.values,
            detail: { retryAfter: d.retryAfter, consecutiveFailures: watch.breaker.failures },
          },
        );
      case 'breaker-state': {
        const before = watch.breaker.state;
        watch.breaker.failures = d.consecutiveFailures;
        if (d.state === 'open' && before !== 'open')
          return record(
            watch,
            d.at,
            'breaker-opened',
            `the scaling engine failed ${times(d.consecutiveFailures)} in a row${watch.breaker.lastError ? ` (last: ${watch.breaker.lastError})` : ''}; scaling calls are held by the circuit breaker`,
            {
              detail: {
                consecutiveFailures: d.consecutiveFailures,
                ...(watch.breaker.lastError ? { error: watch.breaker.lastError } : {}),
              },
            },
          );
        if (d.state === 'closed' && before !== 'closed')
          return record(watch, d.at, 'breaker-closed', 'the scaling engine answered again; the circuit breaker closed');
        watch.breaker.state = d.state;
        return NONE;
      }
      case 'scaling-call':
        if (watch.hold === 'bound' && watch.bound?.ruleIndex === d.ruleIndex) return NONE;
        return record(watch, d.at, 'scaling-sent', `sent ${describeTrigger(d.trigger)} to the scaling engine`, {
          ruleIndex: d.ruleIndex,
          metricType: d.trigger.metricType,
          values: d.values,
          detail: { ruleAdjustment: d.trigger.adjustment },
        });
      case 'scaling-result': {
        const failures = d.ok ? 0 : watch.breaker.failures + 1;
        watch.breaker.failures = failures;
        const ruleIndex = watch.lastCall?.ruleIndex;
        const common = { ruleIndex, metricType: d.trigger.metricType };
        const ignoredAtBound =
          d.ok && d.scalingStatus === 2 && (d.adjustment ?? 0) === 0 && d.cooldownExpiredAt === undefined;
        if (ignoredAtBound) {
          if (watch.hold === 'bound') return NONE;
          const side = d.trigger.adjustment.startsWith('-') ? 'min' : 'max';
          const policy = policies.get(d.appId);
          const count = policy ? (side === 'max' ? policy.instanceMaxCount : policy.instanceMinCount) : undefined;
          return record(
            watch,
            d.at,
            'bound-hold',
            `the scaling engine ignored the trigger: the instance count is already ${count ?? 'at'}, the policy ${side === 'max' ? 'maximum' : 'minimum'}`,
            {
              ...common,
              detail: { ok: true, scalingStatus: 2, adjustment: 0, bound: side, ruleAdjustment: d.trigger.adjustment },
            },
          );
        }
        const detail: JournalDetail = {
          ok: d.ok,
          ...(d.status !== undefined ? { status: d.status } : {}),
          ...(d.scalingStatus !== undefined ? { scalingStatus: d.scalingStatus } : {}),
          ...(d.adjustment !== undefined ? { adjustment: d.adjustment } : {}),
          ...(d.cooldownExpiredAt !== undefined ? { cooldownUntil: d.cooldownExpiredAt } : {}),
          ...(d.error !== undefined ? { error: d.error } : {}),
          consecutiveFailures: failures,
        };
        const cooldown =
          d.cooldownExpiredAt !== undefined ? `; in cooldown until ${clockTime(d.cooldownExpiredAt)}` : '';
        const reason = !d.ok
          ? `the scaling call failed (${times(failures)} in a row): ${d.error ?? 'no reason given'}`
          : d.adjustment !== undefined && d.adjustment !== 0
            ? `scaled by ${d.adjustment > 0 ? '+' : ''}${d.adjustment} instance(s)${cooldown}`
            : d.scalingStatus === 2
              ? `the scaling engine ignored the trigger${cooldown}`
              : `the scaling engine answered without changing the instance count${cooldown}`;
        return record(watch, d.at, 'scaling-answered', reason, { ...common, detail });
      }
    }
  };

  return {
    sync(next) {
      policies = next;
      for (const appId of watches.keys()) if (!next.has(appId)) watches.delete(appId);
    },
    get: (appId) => watches.get(appId),
    observe(input) {
      switch (input.kind) {
        case 'metric': {
          const watch = watchOf(input.metric.appId);
          watch?.data.units.set(input.metric.name, input.metric.unit);
          return NONE;
        }
        case 'read': {
          const watch = watchOf(input.appId);
          if (!watch) return NONE;
          watch.data.lastReadAt = input.at;
          watch.data.readFailures = 0;
          const newest = input.newestEnvelopeAt;
          if (newest !== undefined && (watch.data.newestEnvelopeAt ?? 0n) < newest)
            watch.data.newestEnvelopeAt = newest;
          if (input.instances !== undefined && input.instances > 0) watch.data.instances = input.instances;
          return NONE;
        }
        case 'read-failed': {
          const watch = watchOf(input.appId);
          if (!watch) return NONE;
          watch.data.readFailures += 1;
          watch.data.lastReadError = { at: input.at, message: input.error };
          return NONE;
        }
        default: {
          const watch = watchOf(input.appId);
          return watch ? decided(watch, input) : NONE;
        }
      }
    },
  };
};
