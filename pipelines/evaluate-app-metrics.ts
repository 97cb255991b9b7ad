import { defer, Observable, Subscription } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import type { AppMetric } from '../lib/core/model/app-metric.ts';
import type { Decision } from '../lib/core/model/decision.ts';
import type { Policy } from '../lib/core/model/policy.ts';
import type { QueryAppMetrics, Scale } from '../lib/core/model/ports.ts';
import { createBreakerRegistry } from '../lib/core/scaling/breaker-registry.ts';
import type { CircuitBreakerOptions } from '../lib/core/scaling/circuit-breaker.ts';
import { createCooldowns } from '../lib/core/scaling/cooldowns.ts';
import { createRuleEvaluator } from './evaluate-rules.ts';
import type { EvaluationJob } from './evaluate-rules.ts';
import { inSlices } from './in-slices.ts';
import { createSliceBudget } from './slice-budget.ts';
import type { SliceBudget, SliceOptions } from './slice-budget.ts';
import { mergeMapEager } from './merge-map-eager.ts';
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
  /** False: `no-breach` decisions of the rules are not made (see EvaluateRulesDeps). */
  readonly noBreachDecisions?: boolean | undefined;
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
   * When given, the evaluations one burst of metrics starts run in slices (see inSlices), so that
   * one aggregation tick of many apps does not block the event loop: the slices of a budget shared
   * with the cache intake (see createSliceBudget), or of about `budgetMs` of their own. Without it
   * every evaluation on a cache hit runs at once (virtual time, replays).
   */
  readonly slices?: SliceBudget | Omit<SliceOptions, 'scheduler'> | undefined;
}

/** What an evaluation hands on: its decisions, and breaches still to be scaled. */
type Step = Decision | { readonly scale: BreachDecision };
const toScale = (breach: BreachDecision): Step => ({ scale: breach });
/** A job and the key under which identical jobs fold while it waits for a slot. */
type KeyedJob = EvaluationJob & { readonly key: string };

type IndexedRule = EvaluationJob['rules'][number];

/**
 * The jobs of one policy, each worked out on first use and then the same object (and key) every
 * time, so that a burst of metrics allocates no job. A class, not a closure: an instance keeps
 * one per app, made again after every policy poll.
 */
class PolicyJobs {
  readonly appId: string;
  readonly #policy: Policy;
  #types: string[] = [];
  #jobs: (KeyedJob | undefined)[] = [];
  #all: KeyedJob | null | undefined;

  constructor(appId: string, policy: Policy) {
    this.appId = appId;
    this.#policy = policy;
  }

  /** The rules of one metric type, in rule order; undefined when the policy has none. */
  ofType(metricType: string): KeyedJob | undefined {
    const types = this.#types;
    for (let i = 0; i < types.length; i += 1) if (types[i] === metricType) return this.#jobs[i];
    const rules: IndexedRule[] = [];
    const all = this.#policy.rules;
    for (let index = 0; index < all.length; index += 1)
      if (all[index]!.metricType === metricType) rules.push({ rule: all[index]!, index });
    const job = rules.length > 0 ? { key: `${this.appId}\n${metricType}`, appId: this.appId, rules } : undefined;
    types.push(metricType);
    this.#jobs.push(job);
    return job;
  }

  /** Every rule, for the periodic tick; undefined for a policy without rules. */
  every(): KeyedJob | undefined {
    if (this.#all === undefined) {
      const { rules } = this.#policy;
      this.#all =
        rules.length > 0
          ? { key: `${this.appId}\n*`, appId: this.appId, rules: rules.map((rule, index) => ({ rule, index })) }
          : null;
    }
    return this.#all ?? undefined;
  }
}

const policyJobs = new WeakMap<Policy, PolicyJobs>();
const jobsFor = (appId: string, policy: Policy): PolicyJobs => {
  const known = policyJobs.get(policy);
  if (known !== undefined && known.appId === appId) return known;
  const jobs = new PolicyJobs(appId, policy);
  policyJobs.set(policy, jobs);
  return jobs;
};

/**
 * The jobs the inputs ask for, with the latest policy map: a metric asks for the rules of its app
 * and type, a tick for every rule of every app. A job already waiting for a slot absorbs identical
 * ones. Subscribes to `policy$` first, as withLatestFrom does; nothing is asked before its first
 * map; ends when the metrics and the ticks have ended, or with the first error of any source.
 */
const jobRequests = (
  sources: EvaluateAppMetricsSources,
  follow: (policies: ReadonlyMap<string, Policy>) => void,
  waiting: Set<string>,
): Observable<KeyedJob> =>
  new Observable<KeyedJob>((subscriber) => {
    let policies: ReadonlyMap<string, Policy> | undefined;
    const ask = (job: KeyedJob): void => {
      if (waiting.has(job.key)) return;
      waiting.add(job.key);
      subscriber.next(job);
    };
    const onMetric = (metric: AppMetric): void => {
      if (policies === undefined) return;
      follow(policies);
      const policy = policies.get(metric.appId);
      const job = policy === undefined ? undefined : jobsFor(metric.appId, policy).ofType(metric.name);
      if (job !== undefined) ask(job);
    };
    const onTick = (): void => {
      if (policies === undefined) return;
      follow(policies);
      const jobs: KeyedJob[] = [];
      for (const [appId, policy] of policies) {
        const job = jobsFor(appId, policy).every();
        if (job !== undefined) jobs.push(job);
      }
      for (const job of jobs) ask(job);
    };
    let open = sources.tick$ ? 2 : 1;
    const ended = (): void => {
      open -= 1;
      if (open === 0) subscriber.complete();
    };
    const error = (err: unknown): void => subscriber.error(err);
    // One holder for all three: a subscription ends itself when its source completes, and
    // whatever was added to it would end with it.
    const subscription = new Subscription();
    subscription.add(
      sources.policy$.subscribe({
        next: (p) => {
          policies = p;
        },
        error,
      }),
    );
    subscription.add(sources.appMetric$.subscribe({ next: onMetric, error, complete: ended }));
    if (sources.tick$) subscription.add(sources.tick$.subscribe({ next: onTick, error, complete: ended }));
    return subscription;
  });

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
 * A mergeMap with `evaluationConcurrency` (default 20) bounds the evaluations under way; a job
 * that is already waiting for a slot absorbs identical ones (same app and metric type), because it
 * will read the newer metrics anyway. A breach leaves its evaluation slot at once and is scaled by
 * a second mergeMap bounded by `scalingConcurrency` (default 1000), in the order the breaches came.
 * Both are mergeMapEager: a job whose history is at hand is judged at once and its decisions
 * handed on without an Observable each. With `slices`, the jobs of one burst reach the evaluations
 * in time slices (inSlices). Query and scaling failures become decisions; the stream ends only
 * when its sources end (`policy$` may stay open, or end first).
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
    };
    const waiting = new Set<string>();
    const evaluate = createRuleEvaluator(deps, toScale);

    const job$ = jobRequests(sources, follow, waiting);
    const { slices } = deps;
    const budget =
      slices === undefined || 'spent' in slices ? slices : createSliceBudget({ ...slices, scheduler: deps.scheduler });
    const sliced$ = budget ? job$.pipe(inSlices(budget)) : job$;
    return sliced$.pipe(
      mergeMapEager((job: KeyedJob) => {
        waiting.delete(job.key);
        return evaluate(job);
      }, deps.evaluationConcurrency ?? 20),
      mergeMapEager(
        (step: Step): readonly Decision[] | Observable<Decision> =>
          'scale' in step ? scaleOnBreach(step.scale, ctx) : [step],
        deps.scalingConcurrency ?? 1000,
      ),
    );
  });
