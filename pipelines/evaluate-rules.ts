import { concat, defer, EMPTY, from as fromArray, of } from 'rxjs';
import { catchError, defaultIfEmpty, map, mergeMap, take } from 'rxjs/operators';
import type { Observable, SchedulerLike } from 'rxjs';
import type { AppMetric } from '../lib/core/model/app-metric.ts';
import type { Decision } from '../lib/core/model/decision.ts';
import type { Operator, ScalingRule } from '../lib/core/model/policy.ts';
import type { QueryAppMetrics } from '../lib/core/model/ports.ts';
import { judgeBreach } from '../lib/core/policy/judge-breach.ts';
import type { BreachVerdict } from '../lib/core/policy/judge-breach.ts';
import { isOperator } from '../lib/core/policy/operator.ts';
import { nowNs, secondsToNs } from '../lib/core/time/ns.ts';
import type { BreachDecision } from './scale-on-breach.ts';
import { errorText } from '../lib/core/error-text.ts';

/** One app's rules to evaluate, in rule order, with their index in the policy. */
export interface EvaluationJob {
  readonly appId: string;
  readonly rules: readonly { readonly rule: ScalingRule; readonly index: number }[];
}

export interface EvaluateRulesDeps {
  readonly scheduler: SchedulerLike;
  readonly queryAppMetrics: QueryAppMetrics;
  readonly defaultBreachDurationSecs: number;
}

const queryFailed = (reason: string): BreachVerdict => ({ breached: false, reason, values: [], unit: '' });
const queryFailedWith = (err: unknown): BreachVerdict => queryFailed(`metrics query failed: ${errorText(err)}`);

type RuleEntry = EvaluationJob['rules'][number];

/**
 * Evaluates a job's rules one after the other (docs/anchor-compatibility.md#evaluation) and hands
 * the first breach to `onBreach`; the rules after it are not evaluated. An invalid operator gives
 * `rule-skipped` and a failed query a `no-breach` with the error; both go on to the next rule.
 *
 *   rules     r0 ------ r1 ------ r2
 *   output    no-breach  breach, onBreach(...)        (r2 never queried)
 *
 * Rules whose history the reader has at hand (`queryAppMetrics.cached`) are judged in one
 * synchronous pass; the first that needs a real read continues as an Observable.
 */
export const evaluateRules = <T = Decision>(
  job: EvaluationJob,
  deps: EvaluateRulesDeps,
  onBreach: (breach: BreachDecision) => Observable<T>,
): Observable<Decision | T> => {
  const { appId } = job;
  const cached = deps.queryAppMetrics.cached;

  const windowOf = (rule: ScalingRule) => {
    const breachDurationSecs = rule.breachDurationSecs > 0 ? rule.breachDurationSecs : deps.defaultBreachDurationSecs;
    return { breachDurationSecs, bd: secondsToNs(breachDurationSecs) };
  };

  const skipped = ({ rule, index }: RuleEntry, now: bigint): Decision => ({
    kind: 'rule-skipped',
    at: now,
    appId,
    ruleIndex: index,
    reason: `operator-is-invalid: ${JSON.stringify(rule.operator)} is not one of <, <=, >, >=`,
  });

  /** The decision a verdict makes: a no-breach, or the breach handed on. */
  const decide = (
    { rule, index: ruleIndex }: RuleEntry,
    verdict: BreachVerdict,
    breachDurationSecs: number,
    now: bigint,
  ): Decision | BreachDecision => {
    if (!verdict.breached)
      return {
        kind: 'no-breach',
        at: now,
        appId,
        ruleIndex,
        metricType: rule.metricType,
        reason: verdict.reason,
        values: verdict.values,
      };
    return {
      kind: 'breach',
      at: now,
      appId,
      ruleIndex,
      values: verdict.values,
      trigger: {
        appId,
        metricType: rule.metricType,
        metricUnit: verdict.unit,
        breachDurationSecs,
        threshold: rule.threshold,
        operator: rule.operator,
        coolDownSecs: rule.coolDownSecs,
        adjustment: rule.adjustment,
      },
    };
  };

  const judge = (rows: AppMetric[], rule: ScalingRule, breachDurationSecs: number, now: bigint): BreachVerdict => {
    try {
      return judgeBreach(
        rows,
        { operator: rule.operator as Operator, threshold: rule.threshold, breachDurationSecs },
        now,
      );
    } catch (err) {
      return queryFailedWith(err);
    }
  };

  /** Rule k read through the Observable reader, then the rules after it. */
  const readRule = (k: number): Observable<Decision | T> =>
    defer(() => {
      const entry = job.rules[k]!;
      const { rule } = entry;
      const now = nowNs(deps.scheduler);
      const { breachDurationSecs, bd } = windowOf(rule);
      return defer(() => deps.queryAppMetrics(appId, rule.metricType, now - 2n * bd, now, 'ASC')).pipe(
        take(1),
        map((rows: AppMetric[]) => judge(rows, rule, breachDurationSecs, now)),
        defaultIfEmpty(queryFailed('metrics query failed: it ended without a result')),
        catchError((err: unknown) => of(queryFailedWith(err))),
        mergeMap((verdict): Observable<Decision | T> => {
          const decision = decide(entry, verdict, breachDurationSecs, now);
          return decision.kind === 'breach' ? onBreach(decision) : concat(of(decision), from(k + 1));
        }),
      );
    });

  /** Rules from k on: judged at once while their history is at hand. */
  const from = (k: number): Observable<Decision | T> =>
    defer(() => {
      const out: Decision[] = [];
      for (let i = k; i < job.rules.length; i++) {
        const entry = job.rules[i]!;
        const { rule } = entry;
        const now = nowNs(deps.scheduler);
        if (!isOperator(rule.operator)) {
          out.push(skipped(entry, now));
          continue;
        }
        const { breachDurationSecs, bd } = windowOf(rule);
        const rows = cached?.(appId, rule.metricType, now - 2n * bd, now, 'ASC');
        if (rows === undefined) return out.length === 0 ? readRule(i) : concat(fromArray(out), readRule(i));
        const decision = decide(entry, judge(rows, rule, breachDurationSecs, now), breachDurationSecs, now);
        if (decision.kind === 'breach')
          return out.length === 0 ? onBreach(decision) : concat(fromArray(out), onBreach(decision));
        out.push(decision);
      }
      return fromArray(out);
    });

  return job.rules.length === 0 ? EMPTY : from(0);
};
