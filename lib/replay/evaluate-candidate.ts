import { BehaviorSubject, defer, interval, of, Subject } from 'rxjs';
import { takeUntil } from 'rxjs/operators';
import { stringify } from '../core/json/bigint-json.ts';
import type { AppMetric, SortOrder } from '../core/model/app-metric.ts';
import type { Decision } from '../core/model/decision.ts';
import type { Policy, Trigger } from '../core/model/policy.ts';
import type { QueryAppMetrics } from '../core/model/ports.ts';
import { isOperator } from '../core/policy/operator.ts';
import { parseScaleReply } from '../core/scaling/parse-scale-reply.ts';
import { nowNs, nsToMs } from '../core/time/ns.ts';
import { createSeriesCollector } from '../tools/report/metric-series.ts';
import type { MetricSeries } from '../tools/report/metric-series.ts';
import { createScalingEngineModel } from '../tools/simulation/scaling-engine-model.ts';
import type { ScalingEvent } from '../tools/simulation/scaling-engine-model.ts';
import { candidateGraph } from '../../pipelines/graph/candidate-graph.ts';
import type { ReplaySettings } from '../../pipelines/graph/replay-settings.ts';
import { shareLoad } from './load-model.ts';
import type { LoadModelName } from './load-model.ts';
import type { Pressure } from './pressure.ts';
import { instanceLimits } from './replay-policies.ts';
import { createVirtualScheduler } from './virtual-scheduler.ts';

/** The aggregated metrics of a replay as recorded, in the order they were made, with the instances that reported each. */
export interface LabTimeline {
  readonly metrics: AppMetric[];
  readonly reporting: number[];
  readonly startNs: bigint;
  readonly endNs: bigint;
}

export interface CandidateRunInput {
  readonly timeline: LabTimeline;
  readonly policies: ReadonlyMap<string, Policy>;
  readonly loadModel: LoadModelName;
  readonly settings: ReplaySettings;
  readonly initialInstances?: number | undefined;
  /** The yardsticks of each app. */
  readonly pressure: (appId: string) => readonly Pressure[];
  /**
   * Hand the evaluation pipeline only the metrics that can breach one of the app's rules (see
   * below); the scaling events are the same, the no-breach and cooldown-hold decisions are not kept.
   */
  readonly screen: boolean;
  /** Keep the decisions (all but no-breach) and the metric series, for the report. */
  readonly detail: boolean;
}

export interface CandidateRun {
  readonly events: readonly ScalingEvent[];
  readonly decisions: readonly Decision[];
  readonly series: readonly MetricSeries[];
  readonly pressureSecs: number;
  readonly initialInstances: (appId: string) => number;
}

const INTEGER = /^-?\d+$/;

interface Line {
  readonly operator: string;
  readonly threshold: number;
  readonly big: bigint;
}

const beyond = (value: string, line: Line): boolean => {
  if (!INTEGER.test(value)) return false;
  const n = Number(value);
  const exact = Number.isSafeInteger(n) && Number.isSafeInteger(line.threshold);
  const a = exact ? n : BigInt(value);
  const b = exact ? line.threshold : line.big;
  switch (line.operator) {
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    default:
      return a <= b;
  }
};

const lineOf = (operator: string, threshold: bigint): Line => ({
  operator,
  threshold: Number(threshold),
  big: threshold,
});

/** Per app and metric type, the lines to check. */
const linesByApp = <T>(
  entries: Iterable<[string, Iterable<T>]>,
  of: (item: T) => { metricType: string; operator: string; threshold: bigint } | undefined,
): Map<string, Map<string, Line[]>> => {
  const out = new Map<string, Map<string, Line[]>>();
  for (const [appId, items] of entries) {
    const byType = new Map<string, Line[]>();
    for (const item of items) {
      const r = of(item);
      if (!r) continue;
      const list = byType.get(r.metricType) ?? [];
      list.push(lineOf(r.operator, r.threshold));
      byType.set(r.metricType, list);
    }
    out.set(appId, byType);
  }
  return out;
};

/** A history reader over the candidate's own load-model values; it always answers at once. */
const historyReader = (history: Map<string, Map<string, AppMetric[]>>): QueryAppMetrics => {
  const rows = (appId: string, metricType: string, start: bigint, end: bigint, order: SortOrder): AppMetric[] => {
    const list = history.get(appId)?.get(metricType) ?? [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.timestamp < start) lo = mid + 1;
      else hi = mid;
    }
    const out: AppMetric[] = [];
    for (let i = lo; i < list.length && list[i]!.timestamp <= end; i += 1) out.push(list[i]!);
    return order === 'DESC' ? out.reverse() : out;
  };
  const query = (appId: string, metricType: string, start: bigint, end: bigint, order: SortOrder) =>
    defer(() => of(rows(appId, metricType, start, end < 0n ? 2n ** 62n : end, order)));
  return Object.assign(query, { cached: rows });
};

/**
 * One candidate policy over metrics aggregated once: each metric is put through the load model at
 * the candidate's own simulated instance count, kept in the candidate's history, and evaluated by
 * the service's evaluation pipeline (candidateGraph) against a scaling-engine model of its own, in
 * virtual time. Every step of that pipeline answers at once here (the history reader and the model
 * reply synchronously), so each metric is fully evaluated before the next is made.
 *
 * Screening is exact for the scaling events: the newest value of a rule's window is the metric just
 * made, so when it is not beyond any of the app's rules for its type, every rule gives no-breach,
 * which changes no cooldown, breaker or instance count.
 */
export const evaluateCandidate = (input: CandidateRunInput): CandidateRun => {
  const { timeline, policies, settings } = input;
  const startMs = nsToMs(timeline.startNs);
  const scheduler = createVirtualScheduler(startMs);
  const limits = (appId: string) => {
    const policy = policies.get(appId);
    return policy ? instanceLimits(policy) : undefined;
  };
  const initialInstances = (appId: string) => {
    const bounds = limits(appId) ?? { min: 1, max: Number.MAX_SAFE_INTEGER };
    return Math.min(bounds.max, Math.max(bounds.min, input.initialInstances ?? bounds.min));
  };
  const model = createScalingEngineModel({
    now: () => nowNs(scheduler),
    limits,
    initialInstances,
    defaultCoolDownSecs: settings.defaultCoolDownSecs,
  });
  const scale = (trigger: Trigger) => defer(() => of(parseScaleReply(200, stringify(model.scale(trigger)))));

  const ruleLines = linesByApp<Policy['rules'][number]>(
    [...policies].map(([appId, p]) => [appId, p.rules] as [string, Policy['rules']]),
    (r) =>
      isOperator(r.operator) ? { metricType: r.metricType, operator: r.operator, threshold: r.threshold } : undefined,
  );
  const pressureLines = linesByApp<Pressure>(
    [...policies.keys()].map((appId) => [appId, input.pressure(appId)] as [string, readonly Pressure[]]),
    (p) => p,
  );
  const history = new Map<string, Map<string, AppMetric[]>>();
  for (const [appId, p] of policies) history.set(appId, new Map(p.rules.map((r) => [r.metricType, []])));

  const decisions: Decision[] = [];
  const series = createSeriesCollector();
  const metric$ = new Subject<AppMetric>();
  const stop$ = new Subject<void>();
  const tick$ =
    settings.evaluationIntervalMs === undefined
      ? undefined
      : interval(settings.evaluationIntervalMs, scheduler).pipe(takeUntil(stop$));
  const subscription = candidateGraph(
    {
      appMetric$: metric$,
      policy$: new BehaviorSubject<ReadonlyMap<string, Policy>>(policies),
      ...(tick$ ? { tick$ } : {}),
    },
    {
      scheduler,
      queryAppMetrics: historyReader(history),
      scale,
      defaultBreachDurationSecs: settings.defaultBreachDurationSecs,
      breaker: settings.breaker,
    },
  ).subscribe((d) => {
    if (input.detail && d.kind !== 'no-breach') decisions.push(d);
  });

  const runUntil = (ms: number, inclusive: boolean) => {
    for (
      let due = scheduler.nextDue();
      due !== undefined && (inclusive ? due <= ms : due < ms);
      due = scheduler.nextDue()
    )
      scheduler.runNextInstant();
    if (ms > scheduler.now()) scheduler.advanceTo(ms);
  };

  const intervalSecs = settings.aggregatorIntervalMs / 1000;
  const pressedAt = new Map<string, bigint>();
  let pressureSecs = 0;
  const shared = input.loadModel === 'shared';
  const { metrics, reporting } = timeline;
  for (let i = 0; i < metrics.length; i += 1) {
    const recorded = metrics[i]!;
    const appId = recorded.appId;
    const rules = ruleLines.get(appId);
    if (rules === undefined) continue;
    const ms = nsToMs(recorded.timestamp);
    if (ms > scheduler.now() || scheduler.nextDue() !== undefined) runUntil(ms, false);
    const metric = shared ? shareLoad(recorded, reporting[i]!, model.instances(appId)) : recorded;
    history.get(appId)?.get(metric.name)?.push(metric);
    if (input.detail) series.add(metric);
    const yardsticks = pressureLines.get(appId)?.get(metric.name);
    if (yardsticks && pressedAt.get(appId) !== metric.timestamp && yardsticks.some((l) => beyond(metric.value, l))) {
      pressedAt.set(appId, metric.timestamp);
      pressureSecs += intervalSecs;
    }
    const lines = rules.get(metric.name);
    if (lines === undefined) continue;
    if (!input.screen || lines.some((l) => beyond(metric.value, l))) metric$.next(metric);
  }
  runUntil(nsToMs(timeline.endNs), true);
  stop$.next();
  metric$.complete();
  subscription.unsubscribe();
  return { events: model.events(), decisions, series: series.series(), pressureSecs, initialInstances };
};
