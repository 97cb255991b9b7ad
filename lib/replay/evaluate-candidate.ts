import { BehaviorSubject, defer, interval, of, Subject } from 'rxjs';
import { takeUntil } from 'rxjs/operators';
import type { AppMetric, SortOrder } from '../core/model/app-metric.ts';
import type { Decision } from '../core/model/decision.ts';
import type { Policy, Trigger } from '../core/model/policy.ts';
import type { QueryAppMetrics } from '../core/model/ports.ts';
import { isOperator } from '../core/policy/operator.ts';
import { nowNs, nsToMs } from '../core/time/ns.ts';
import { createSeriesCollector } from '../tools/report/metric-series.ts';
import type { MetricSeries } from '../tools/report/metric-series.ts';
import { applyAdjustment, createScalingEngineModel, replyOfResult } from '../tools/simulation/scaling-engine-model.ts';
import type { ScalingEvent } from '../tools/simulation/scaling-engine-model.ts';
import { candidateGraph } from '../../pipelines/graph/candidate-graph.ts';
import type { ReplaySettings } from '../../pipelines/graph/replay-settings.ts';
import { SHARED_METRIC_TYPES, shareLoad } from './load-model.ts';
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

/**
 * What a candidate's evaluation may leave out (the scaling events are exact in every mode):
 * - `none`: every metric goes through the evaluation pipeline; every decision is kept.
 * - `breaches`: metrics that cannot breach any rule are not handed on (no-breach decisions are lost;
 *   every breach, call and answer is kept), for the report.
 * - `state`: also metrics whose breach could change nothing: while the app is in cooldown (the
 *   evaluator would hold the breach back) and when every rule that could breach would leave the
 *   instance count where it is (the engine would ignore the call); for the scores of a sweep.
 */
export type Screening = 'none' | 'breaches' | 'state';

export interface CandidateRunInput {
  readonly timeline: LabTimeline;
  readonly policies: ReadonlyMap<string, Policy>;
  readonly loadModel: LoadModelName;
  readonly settings: ReplaySettings;
  readonly initialInstances?: number | undefined;
  /** The yardsticks of each app. */
  readonly pressure: (appId: string) => readonly Pressure[];
  readonly screening: Screening;
  /** Keep the decisions (all but no-breach) and the metric series, for the report. */
  readonly detail: boolean;
}

export interface CandidateRun {
  /** Every call the engine answered; under `state` screening, the ignored calls are partly left out. */
  readonly events: readonly ScalingEvent[];
  readonly decisions: readonly Decision[];
  readonly series: readonly MetricSeries[];
  readonly pressureSecs: number;
  readonly initialInstances: (appId: string) => number;
}

const INTEGER = /^-?\d+$/;

/** A rule or a yardstick, with its threshold as a number when that is exact. */
interface Line {
  readonly operator: string;
  readonly threshold: number;
  readonly big: bigint;
  readonly adjustment: string;
}

const beyondNumber = (v: number, line: Line): boolean => {
  switch (line.operator) {
    case '>':
      return v > line.threshold;
    case '>=':
      return v >= line.threshold;
    case '<':
      return v < line.threshold;
    default:
      return v <= line.threshold;
  }
};

const beyondBig = (v: bigint, line: Line): boolean => {
  switch (line.operator) {
    case '>':
      return v > line.big;
    case '>=':
      return v >= line.big;
    case '<':
      return v < line.big;
    default:
      return v <= line.big;
  }
};

/**
 * Whether a value is beyond the line: NaN (empty, not an integer, or beyond 2^53, in which case
 * `metric` holds the exact text) is judged on the text, as the evaluator judges it.
 */
const beyond = (value: number, line: Line, metric: AppMetric | undefined): boolean => {
  if (Number.isSafeInteger(value) && Number.isSafeInteger(line.threshold)) return beyondNumber(value, line);
  const t = metric?.value ?? (Number.isNaN(value) ? '' : String(value));
  return INTEGER.test(t) && beyondBig(BigInt(t), line);
};

/** The recorded timeline in numbers, worked out once for all candidates. */
interface Prepared {
  readonly appIds: string[];
  /** Index into appIds of each metric. */
  readonly app: Int32Array;
  /** The recorded value, NaN when empty, not an integer or beyond 2^53. */
  readonly value: Float64Array;
  /** 1 when the recorded value is integer text (so a NaN above means beyond 2^53). */
  readonly integer: Uint8Array;
  readonly shared: Uint8Array;
  readonly ms: Float64Array;
  /** One slot per (app, metric type), numbered in order of appearance. */
  readonly slot: Int32Array;
  readonly slots: readonly { readonly app: number; readonly metricType: string }[];
}

const prepared = new WeakMap<LabTimeline, Prepared>();
const prepare = (timeline: LabTimeline): Prepared => {
  const known = prepared.get(timeline);
  if (known) return known;
  const n = timeline.metrics.length;
  const index = new Map<string, number>();
  const appIds: string[] = [];
  const app = new Int32Array(n);
  const value = new Float64Array(n);
  const integer = new Uint8Array(n);
  const shared = new Uint8Array(n);
  const ms = new Float64Array(n);
  const slot = new Int32Array(n);
  const slots: { app: number; metricType: string }[] = [];
  const slotIndex = new Map<string, number>();
  for (let i = 0; i < n; i += 1) {
    const m = timeline.metrics[i]!;
    let a = index.get(m.appId);
    if (a === undefined) {
      a = appIds.length;
      index.set(m.appId, a);
      appIds.push(m.appId);
    }
    app[i] = a;
    integer[i] = INTEGER.test(m.value) ? 1 : 0;
    const number = Number(m.value);
    value[i] = integer[i] === 1 && Number.isSafeInteger(number) ? number : Number.NaN;
    shared[i] = SHARED_METRIC_TYPES.has(m.name) ? 1 : 0;
    ms[i] = nsToMs(m.timestamp);
    const key = `${a}\n${m.name}`;
    let k = slotIndex.get(key);
    if (k === undefined) {
      k = slots.length;
      slotIndex.set(key, k);
      slots.push({ app: a, metricType: m.name });
    }
    slot[i] = k;
  }
  const p = { appIds, app, value, integer, shared, ms, slot, slots };
  prepared.set(timeline, p);
  return p;
};

/** One (app, metric type) history of the candidate: the timeline indexes and the load-model values. */
interface History {
  readonly at: number[];
  readonly value: number[];
}

/**
 * One candidate policy over metrics aggregated once: each metric is put through the load model at
 * the candidate's own simulated instance count, kept in the candidate's history, and evaluated by
 * the service's evaluation pipeline (candidateGraph) against a scaling-engine model of its own, in
 * virtual time. Every step of that pipeline answers at once here (the history reader and the model
 * reply synchronously), so each metric is fully evaluated before the next is made, and screening a
 * metric out (see Screening) is exact for the instance counts and cooldowns: the newest value of
 * every rule's window is the metric just made, so a rule it is not beyond cannot breach.
 */
export const evaluateCandidate = (input: CandidateRunInput): CandidateRun => {
  const { timeline, policies, settings } = input;
  const p = prepare(timeline);
  const scheduler = createVirtualScheduler(nsToMs(timeline.startNs));
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

  const appCount = p.appIds.length;
  const appIndex = new Map(p.appIds.map((id, i) => [id, i]));
  const counts = p.appIds.map((id) => model.instances(id));
  const bounds = p.appIds.map((id) => limits(id));
  // The evaluator's cooldowns, as it books them from the replies (see scaleOnBreach).
  const cooldownMs = new Float64Array(appCount);
  const scale = (trigger: Trigger) =>
    defer(() => {
      const result = model.scale(trigger);
      const a = appIndex.get(trigger.appId);
      if (a !== undefined) {
        counts[a] = model.instances(trigger.appId);
        if (result.cool_down_expired_at !== 0n) cooldownMs[a] = nsToMs(result.cool_down_expired_at);
      }
      return of(replyOfResult(result));
    });

  const lineOf = (operator: string, threshold: bigint, adjustment: string): Line => ({
    operator,
    threshold: Number(threshold),
    big: threshold,
    adjustment,
  });
  const rules: (Map<string, Line[]> | undefined)[] = p.appIds.map((appId) => {
    const policy = policies.get(appId);
    if (!policy) return undefined;
    const byType = new Map<string, Line[]>();
    for (const r of policy.rules) {
      if (!isOperator(r.operator)) continue;
      const list = byType.get(r.metricType) ?? [];
      list.push(lineOf(r.operator, r.threshold, r.adjustment));
      byType.set(r.metricType, list);
    }
    return byType;
  });
  const yardsticks: Map<string, Line[]>[] = p.appIds.map((appId) => {
    const byType = new Map<string, Line[]>();
    for (const y of input.pressure(appId)) {
      const list = byType.get(y.metricType) ?? [];
      list.push(lineOf(y.operator, y.threshold, ''));
      byType.set(y.metricType, list);
    }
    return byType;
  });
  const histories: Map<string, History>[] = p.appIds.map((appId) => {
    const types = policies.get(appId)?.rules.map((r) => r.metricType) ?? [];
    return new Map(types.map((t) => [t, { at: [], value: [] }]));
  });
  // The same, by slot, so the loop below looks nothing up by name.
  const slotRules = p.slots.map((x) => rules[x.app]?.get(x.metricType));
  const slotHistory = p.slots.map((x) => histories[x.app]!.get(x.metricType));
  const slotSticks = p.slots.map((x) => yardsticks[x.app]!.get(x.metricType));

  const shared = input.loadModel === 'shared';
  // The load-model value of timeline entry i at `simulated` instances.
  const valueAt = (i: number, simulated: number): number => {
    const v = p.value[i]!;
    const r = timeline.reporting[i]!;
    if (!shared || p.shared[i] === 0 || r <= 0 || r === simulated || Number.isNaN(v)) return v;
    const total = v * r;
    return Number.isSafeInteger(total) ? Math.ceil(total / simulated) : Number.NaN;
  };
  // The metric object of entry i with the value the candidate saw.
  const metricOf = (i: number, v: number, simulated: number): AppMetric => {
    const recorded = timeline.metrics[i]!;
    if (Number.isNaN(v)) return shared ? shareLoad(recorded, timeline.reporting[i]!, simulated) : recorded;
    return v === p.value[i] ? recorded : { ...recorded, value: String(v) };
  };

  const reader = (): QueryAppMetrics => {
    const rows = (appId: string, metricType: string, start: bigint, end: bigint, order: SortOrder): AppMetric[] => {
      const a = appIndex.get(appId);
      const h = a === undefined ? undefined : histories[a]!.get(metricType);
      if (!h) return [];
      const startMs = nsToMs(start);
      let lo = 0;
      let hi = h.at.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (p.ms[h.at[mid]!]! < startMs - 1) lo = mid + 1;
        else hi = mid;
      }
      const out: AppMetric[] = [];
      for (let k = lo; k < h.at.length; k += 1) {
        const i = h.at[k]!;
        const m = made.get(i) ?? metricOf(i, h.value[k]!, 0);
        if (m.timestamp < start) continue;
        if (m.timestamp > end) break;
        out.push(m);
      }
      return order === 'DESC' ? out.reverse() : out;
    };
    const query = (appId: string, metricType: string, start: bigint, end: bigint, order: SortOrder) =>
      defer(() => of(rows(appId, metricType, start, end < 0n ? nowNs(scheduler) : end, order)));
    return Object.assign(query, { cached: rows });
  };
  // Metric objects already made (those handed on, and those whose value needed the text path).
  const made = new Map<number, AppMetric>();

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
      queryAppMetrics: reader(),
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

  /** Whether handing the metric on could change anything the screening keeps. */
  const worthEvaluating = (
    a: number,
    lines: readonly Line[],
    v: number,
    metric: AppMetric | undefined,
    ms: number,
  ): boolean => {
    if (input.screening === 'none') return true;
    let any = false;
    let changes = false;
    for (const line of lines) {
      if (!beyond(v, line, metric)) continue;
      any = true;
      const b = bounds[a];
      const wanted = applyAdjustment(counts[a]!, line.adjustment);
      if (b && wanted !== undefined && Math.min(b.max, Math.max(b.min, wanted)) !== counts[a]) changes = true;
    }
    if (!any) return false;
    if (input.screening === 'breaches') return true;
    return changes && !(cooldownMs[a]! > ms);
  };

  const intervalSecs = settings.aggregatorIntervalMs / 1000;
  const pressedAt = new Float64Array(appCount).fill(-1);
  let pressureSecs = 0;
  const n = timeline.metrics.length;
  for (let i = 0; i < n; i += 1) {
    const a = p.app[i]!;
    if (rules[a] === undefined) continue;
    const ms = p.ms[i]!;
    if (ms > scheduler.now() || scheduler.nextDue() !== undefined) runUntil(ms, false);
    const simulated = counts[a]!;
    let v = valueAt(i, simulated);
    let metric: AppMetric | undefined;
    if (Number.isNaN(v) && p.integer[i] === 1) {
      // An integer beyond 2^53 somewhere on the way: the exact text path.
      metric = metricOf(i, v, simulated);
      made.set(i, metric);
      const exact = Number(metric.value);
      v = Number.isSafeInteger(exact) ? exact : Number.NaN;
    }
    const k = p.slot[i]!;
    const h = slotHistory[k];
    if (h) {
      h.at.push(i);
      h.value.push(v);
    }
    if (input.detail) series.add((metric ??= metricOf(i, v, simulated)));
    const sticks = slotSticks[k];
    if (sticks !== undefined && pressedAt[a] !== ms) {
      for (const line of sticks) {
        if (!beyond(v, line, metric)) continue;
        pressedAt[a] = ms;
        pressureSecs += intervalSecs;
        break;
      }
    }
    const lines = slotRules[k];
    if (lines === undefined || !worthEvaluating(a, lines, v, metric, ms)) continue;
    metric ??= metricOf(i, v, simulated);
    made.set(i, metric);
    metric$.next(metric);
  }
  runUntil(nsToMs(timeline.endNs), true);
  stop$.next();
  metric$.complete();
  subscription.unsubscribe();
  return { events: model.events(), decisions, series: series.series(), pressureSecs, initialInstances };
};
