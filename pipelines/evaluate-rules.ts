import { concat, defer, EMPTY, from as fromArray, of } from 'rxjs';
import { catchError, defaultIfEmpty, map, mergeMap, take } from 'rxjs/operators';
import type { Observable, SchedulerLike } from 'rxjs';
import type { AppMetric } from '../lib/model/app-metric.ts';
import type { Decision } from '../lib/model/decision.ts';
import type { ScalingRule } from '../lib/model/policy.ts';
import type { QueryAppMetrics } from '../lib/model/query.ts';
import { judgeBreach } from '../lib/policy/judge-breach.ts';
import type { BreachVerdict } from '../lib/policy/judge-breach.ts';
import { isOperator } from '../lib/policy/operator.ts';
import { nowNs, secondsToNs } from '../lib/time/ns.ts';
import type { BreachDecision } from './scale-on-breach.ts';

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

const emit = (...decisions: Decision[]): Observable<Decision> => fromArray(decisions);
const queryFailed = (reason: string): BreachVerdict => ({ breached: false, reason, values: [], unit: '' });

/**
 * Evaluates a job's rules one after the other (contracts §5.6) and hands the first breach to
 * `onBreach`; the rules after it are not evaluated. An invalid operator gives `rule-skipped` and
 * a failed query a `no-breach` with the error; both go on to the next rule (S86, S87).
 *
 *   rules     r0 ------ r1 ------ r2
 *   output    no-breach  breach, onBreach(...)        (r2 never queried)
 */
export const evaluateRules = (
  job: EvaluationJob,
  deps: EvaluateRulesDeps,
  onBreach: (breach: BreachDecision) => Observable<Decision>,
): Observable<Decision> => {
  const { appId } = job;
  const from = (k: number): Observable<Decision> => {
    const entry = job.rules[k];
    if (entry === undefined) return EMPTY;
    return defer(() => {
      const { rule, index: ruleIndex } = entry;
      const now = nowNs(deps.scheduler);
      const operator = rule.operator;
      if (!isOperator(operator)) {
        return concat(emit({ kind: 'rule-skipped', at: now, appId, ruleIndex, reason: `operator-is-invalid: ${JSON.stringify(operator)} is not one of <, <=, >, >=` }), from(k + 1));
      }
      const breachDurationSecs = rule.breachDurationSecs > 0 ? rule.breachDurationSecs : deps.defaultBreachDurationSecs;
      const bd = secondsToNs(breachDurationSecs);
      return defer(() => deps.queryAppMetrics(appId, rule.metricType, now - 2n * bd, now, 'ASC')).pipe(
        take(1),
        map((rows: AppMetric[]) => judgeBreach(rows, { operator, threshold: rule.threshold, breachDurationSecs }, now)),
        defaultIfEmpty(queryFailed('metrics query failed: it ended without a result')),
        catchError((err: unknown) => of(queryFailed(`metrics query failed: ${err instanceof Error ? err.message : String(err)}`))),
        mergeMap((verdict): Observable<Decision> => {
          if (!verdict.breached) {
            return concat(
              emit({ kind: 'no-breach', at: now, appId, ruleIndex, metricType: rule.metricType, reason: verdict.reason, values: verdict.values }),
              from(k + 1),
            );
          }
          return onBreach({
            kind: 'breach', at: now, appId, ruleIndex, values: verdict.values,
            trigger: {
              appId, metricType: rule.metricType, metricUnit: verdict.unit, breachDurationSecs, threshold: rule.threshold,
              operator: rule.operator, coolDownSecs: rule.coolDownSecs, adjustment: rule.adjustment,
            },
          });
        }),
      );
    });
  };
  return from(0);
};
