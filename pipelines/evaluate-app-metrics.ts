import { defer, EMPTY, merge, of } from 'rxjs';
import { filter, map, mergeMap, withLatestFrom } from 'rxjs/operators';
import type { Observable, SchedulerLike } from 'rxjs';
import type { AppMetric } from '../lib/core/model/app-metric.ts';
import type { Decision } from '../lib/core/model/decision.ts';
import type { Policy } from '../lib/core/model/policy.ts';
import type { QueryAppMetrics, Scale } from '../lib/core/model/ports.ts';
import { createBreakerRegistry } from '../lib/core/scaling/breaker-registry.ts';
import type { CircuitBreakerOptions } from '../lib/core/scaling/circuit-breaker.ts';
import { createCooldowns } from '../lib/core/scaling/cooldowns.ts';
import { evaluateRules } from './evaluate-rules.ts';
import type { EvaluationJob } from './evaluate-rules.ts';
import { inSlices } from './in-slices.ts';
import type { SliceOptions } from './in-slices.ts';
import { scaleOnBreach } from './scale-on-breach.ts';
import type { BreachDecision, ScalingContext } from './scale-on-breach.ts';

export interface EvaluateAppMetricsSources {
  /** Each new app metric, emitted once it is readable through `queryAppMetrics` (i.e. after the cache took it). */
  readonly appMetric$: Observable<AppMetric>;
  /** This instance's policy map; nothing is evaluated before its first value. */
  readonly policy$: Observable<ReadonlyMap<string, Policy>>;
  /** Optional periodic re-evaluation of every rule (`evaluation_manager_execute_interval`). */
  readonly tick$?: Observable<unknown> | undefined;
}

export interface EvaluateAppMetricsDeps {
  readonly scheduler: SchedulerLike;
  readonly queryAppMetrics: QueryAppMetrics;
  /** One reply per call; unsubscribing should abort it. */
  readonly scale: Scale;
  readonly defaultBreachDurationSecs: number;
  readonly breaker: CircuitBreakerOptions;
  /** Evaluations (query and judgement) under way at once, across apps (`evaluator.evaluator_count`). */
  readonly evaluationConcurrency?: number | undefined;
  /**
   * Scaling calls under way at once, across apps (default 1000). A breach no longer holds an
   * evaluation slot while its call waits for the scaling engine: with 20 slots and a 20 ms engine,
   * 1,000 apps breaching in one tick were sent over a whole second.
   */
  readonly scalingConcurrency?: number | undefined;
  /**
   * When given, the evaluations one burst of metrics starts run in slices of about `budgetMs`
   * (see inSlices), so that one aggregation tick of many apps does not block the event loop.
   * Without it every evaluation on a cache hit runs at once (virtual time, replays).
   */
  readonly slices?: Omit<SliceOptions, 'scheduler'> | undefined;
}

type Input = { readonly metric: AppMetric } | { readonly tick: true };
/** What an evaluation hands on: its decisions, and breaches still to be scaled. */
type Step = Decision | { readonly scale: BreachDecision };
const toScale = (breach: BreachDecision) => of<Step>({ scale: breach });
type KeyedJob = EvaluationJob & { readonly key: string };

type IndexedRules = EvaluationJob['rules'];

// Each policy's rules by metric type, worked out once per policy object instead of per metric.
const rulesByType = new WeakMap<Policy, ReadonlyMap<string, IndexedRules>>();
const rulesOf = (policy: Policy, metricType: string): IndexedRules | undefined => {
  let byType = rulesByType.get(policy);
  if (byType === undefined) {
    const grouped = new Map<string, { rule: Policy['rules'][number]; index: number }[]>();
    policy.rules.forEach((rule, index) => {
      const list = grouped.get(rule.metricType);
      if (list) list.push({ rule, index });
      else grouped.set(rule.metricType, [{ rule, index }]);
    });
    byType = grouped;
    rulesByType.set(policy, byType);
  }
  return byType.get(metricType);
};

const jobsFor = (input: Input, policies: ReadonlyMap<string, Policy>): KeyedJob[] => {
  if ('metric' in input) {
    const { appId, name } = input.metric;
    const policy = policies.get(appId);
    const rules = policy ? rulesOf(policy, name) : undefined;
    return rules ? [{ key: `${appId}\n${name}`, appId, rules }] : [];
  }
  const indexed = (p: Policy) => p.rules.map((rule, index) => ({ rule, index }));
  return [...policies]
    .filter(([, p]) => p.rules.length > 0)
    .map(([appId, p]) => ({ key: `${appId}\n*`, appId, rules: indexed(p) }));
};

/**
 * Event-driven evaluation: each new app metric evaluates the rules of its app and metric type, in
 * rule order; each tick evaluates every rule of every app (the anchor's evaluation tick). The first
 * breached rule of a job goes on to cooldown, in-flight, breaker and the scaling call
 * (see scaleOnBreach). Everything that was decided, and why, is emitted as a Decision.
 *
 *   appMetric$  --m-----------m----m----
 *   scale              --r|
 *   output      --(bc)-s------(bh)-(bh)-    b breach, c scaling-call, s scaling-result, h cooldown-hold
 *
 * mergeMap with `evaluationConcurrency` (default 20) bounds the evaluations under way; a job that
 * is already waiting for a slot absorbs identical ones (same app and metric type), because it will
 * read the newer metrics anyway. A breach leaves its evaluation slot at once and is scaled by a
 * second mergeMap bounded by `scalingConcurrency` (default 1000), in the order the breaches came.
 * With `slices`, the jobs of one burst reach the evaluations in time slices (inSlices). Query and
 * scaling failures become decisions; the stream ends only when its sources end (`policy$` may
 * stay open).
 *
 * @param deps.scheduler the clock of every decision, cooldown and breaker.
 * @param deps.queryAppMetrics the reader of the query window [now-2bd, now].
 * @param deps.scale the scaling-engine call.
 * @param deps.defaultBreachDurationSecs for rules without a breach duration.
 * @param deps.breaker parameters of the per-app breakers, created when an app enters the policy map
 *   and dropped when it leaves (docs/anchor-compatibility.md#evaluation).
 */
export const evaluateAppMetrics = (
  sources: EvaluateAppMetricsSources,
  deps: EvaluateAppMetricsDeps,
): Observable<Decision> =>
  defer(() => {
    const breakers = createBreakerRegistry(deps.breaker);
    const ctx: ScalingContext = {
      scheduler: deps.scheduler,
      scale: deps.scale,
      cooldowns: createCooldowns(),
      breakers,
      inFlight: new Set(),
    };
    let synced: ReadonlyMap<string, Policy> | undefined;
    const follow = (policies: ReadonlyMap<string, Policy>) => {
      if (policies !== synced) breakers.sync(policies.keys());
      synced = policies;
      return policies;
    };
    const waiting = new Set<string>();

    const input$: Observable<Input> = merge(
      sources.appMetric$.pipe(map((metric): Input => ({ metric }))),
      (sources.tick$ ?? EMPTY).pipe(map((): Input => ({ tick: true }))),
    );
    const job$ = input$.pipe(
      // withLatestFrom: the stream's life follows its inputs, while the latest policy map rides along.
      withLatestFrom(sources.policy$),
      mergeMap(([input, policies]) => jobsFor(input, follow(policies))),
      filter((job) => {
        if (waiting.has(job.key)) return false;
        waiting.add(job.key);
        return true;
      }),
    );
    const sliced$ = deps.slices ? job$.pipe(inSlices({ ...deps.slices, scheduler: deps.scheduler })) : job$;
    return sliced$.pipe(
      mergeMap((job) => {
        waiting.delete(job.key);
        return evaluateRules<Step>(job, deps, toScale);
      }, deps.evaluationConcurrency ?? 20),
      mergeMap(
        (step): Observable<Decision> => ('scale' in step ? scaleOnBreach(step.scale, ctx) : of(step)),
        deps.scalingConcurrency ?? 1000,
      ),
    );
  });
