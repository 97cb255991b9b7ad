import { concat, defer, from as fromArray, of } from 'rxjs';
import { catchError, defaultIfEmpty, map, mergeMap, take } from 'rxjs/operators';
import type { Observable, SchedulerLike } from 'rxjs';
import type { AppMetric } from '../lib/core/model/app-metric.ts';
import type { Decision } from '../lib/core/model/decision.ts';
import { createMetricWindow } from '../lib/core/model/metric-window.ts';
import type { Operator, ScalingRule } from '../lib/core/model/policy.ts';
import type { QueryAppMetrics } from '../lib/core/model/ports.ts';
import { judgeBreach, judgeWindow } from '../lib/core/policy/judge-breach.ts';
import type { BreachVerdict } from '../lib/core/policy/judge-breach.ts';
import { isOperator } from '../lib/core/policy/operator.ts';
import { msToNs, secondsToNs } from '../lib/core/time/ns.ts';
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
  /**
   * False when nobody keeps `no-breach` decisions (a replay's summary): they are then neither
   * explained nor handed on. Breaches, skipped rules and everything after them are unchanged.
   */
  readonly noBreachDecisions?: boolean | undefined;
}

/** What evaluating a job gives: the decisions at once when every rule could be judged at once. */
export type Evaluated<T> = readonly (Decision | T)[] | Observable<Decision | T>;

const queryFailed = (reason: string): BreachVerdict => ({ breached: false, reason, values: [], unit: '' });
const queryFailedWith = (err: unknown): BreachVerdict => queryFailed(`metrics query failed: ${errorText(err)}`);

type RuleEntry = EvaluationJob['rules'][number];

/**
 * The evaluation of jobs (docs/anchor-compatibility.md#evaluation): a job's rules one after the
 * other, the first breach handed to `onBreach` and the rules after it not evaluated. An invalid
 * operator gives `rule-skipped` and a failed query a `no-breach` with the error; both go on to the
 * next rule.
 *
 *   rules     r0 ------ r1 ------ r2
 *   output    no-breach  breach, onBreach(...)        (r2 never queried)
 *
 * Rules whose history the reader has at hand are judged at once: as a window on numbers
 * (`queryAppMetrics.window`), or as rows (`queryAppMetrics.cached`). When every rule of a job is,
 * the decisions come back as an array; from the first rule that needs a real read on, as an
 * Observable. One evaluator serves one pipeline: it reuses one window for every judgement.
 */
export const createRuleEvaluator = <T>(
  deps: EvaluateRulesDeps,
  onBreach: (breach: BreachDecision) => T,
): ((job: EvaluationJob) => Evaluated<T>) => {
  const { queryAppMetrics, scheduler } = deps;
  const { cached, window: windowOf } = queryAppMetrics;
  const window = createMetricWindow();
  const explain = deps.noBreachDecisions ?? true;
  // The scheduler's clock in ns, converted once per millisecond rather than once per rule.
  let lastMs = Number.NaN;
  let lastNs = 0n;
  const nowNs = (): bigint => {
    const ms = scheduler.now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastNs = msToNs(ms);
    }
    return lastNs;
  };

  const breachDurationOf = (rule: ScalingRule) => {
    const breachDurationSecs = rule.breachDurationSecs > 0 ? rule.breachDurationSecs : deps.defaultBreachDurationSecs;
    return { breachDurationSecs, bd: secondsToNs(breachDurationSecs) };
  };
  const judged = (rule: ScalingRule, breachDurationSecs: number) => ({
    operator: rule.operator as Operator,
    threshold: rule.threshold,
    breachDurationSecs,
  });
  const judge = (rows: AppMetric[], rule: ScalingRule, breachDurationSecs: number, now: bigint): BreachVerdict => {
    try {
      return judgeBreach(rows, judged(rule, breachDurationSecs), now);
    } catch (err) {
      return queryFailedWith(err);
    }
  };
  /** The verdict on the history at hand, or undefined when it must be read. */
  const judgeAtHand = (
    appId: string,
    rule: ScalingRule,
    breachDurationSecs: number,
    start: bigint,
    now: bigint,
  ): BreachVerdict | undefined => {
    if (windowOf !== undefined) {
      if (!windowOf(appId, rule.metricType, start, now, window)) return undefined;
      try {
        return judgeWindow(window, judged(rule, breachDurationSecs), explain);
      } catch (err) {
        return queryFailedWith(err);
      }
    }
    const rows = cached?.(appId, rule.metricType, start, now, 'ASC');
    return rows === undefined ? undefined : judge(rows, rule, breachDurationSecs, now);
  };

  return (job) => {
    const { appId } = job;

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

    const observed = (evaluated: Evaluated<T>): Observable<Decision | T> =>
      Array.isArray(evaluated)
        ? fromArray(evaluated as readonly (Decision | T)[])
        : (evaluated as Observable<Decision | T>);

    /** Rule k read through the Observable reader, then the rules after it. */
    const readRule = (k: number): Observable<Decision | T> =>
      defer(() => {
        const entry = job.rules[k]!;
        const { rule } = entry;
        const now = nowNs();
        const { breachDurationSecs, bd } = breachDurationOf(rule);
        return defer(() => queryAppMetrics(appId, rule.metricType, now - 2n * bd, now, 'ASC')).pipe(
          take(1),
          map((rows: AppMetric[]) => judge(rows, rule, breachDurationSecs, now)),
          defaultIfEmpty(queryFailed('metrics query failed: it ended without a result')),
          catchError((err: unknown) => of(queryFailedWith(err))),
          mergeMap((verdict): Observable<Decision | T> => {
            const decision = decide(entry, verdict, breachDurationSecs, now);
            if (decision.kind === 'breach') return of(onBreach(decision));
            const rest = defer(() => observed(from(k + 1)));
            return explain ? concat(of(decision), rest) : rest;
          }),
        );
      });

    /** Rules from k on: judged at once while their history is at hand. */
    const from = (k: number): Evaluated<T> => {
      const out: (Decision | T)[] = [];
      for (let i = k; i < job.rules.length; i++) {
        const entry = job.rules[i]!;
        const { rule } = entry;
        const now = nowNs();
        if (!isOperator(rule.operator)) {
          out.push(skipped(entry, now));
          continue;
        }
        const { breachDurationSecs, bd } = breachDurationOf(rule);
        const verdict = judgeAtHand(appId, rule, breachDurationSecs, now - 2n * bd, now);
        if (verdict === undefined) return out.length === 0 ? readRule(i) : concat(fromArray(out), readRule(i));
        const decision = decide(entry, verdict, breachDurationSecs, now);
        if (decision.kind === 'breach') {
          out.push(onBreach(decision));
          return out;
        }
        if (explain) out.push(decision);
      }
      return out;
    };

    return from(0);
  };
};
