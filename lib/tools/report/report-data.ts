import type { Decision } from '../../core/model/decision.ts';
import type { Policy } from '../../core/model/policy.ts';
import type { ScalingEvent } from '../simulation/scaling-engine-model.ts';
import type { MetricSeries } from './metric-series.ts';
import { describeTrigger } from './scaling-rows.ts';
import type { ScalingRow } from './scaling-rows.ts';

/** What a chart shows: plain numbers (ms since the epoch) and strings only. */
export interface ChartData {
  readonly appId: string;
  readonly appName: string;
  readonly metricType: string;
  readonly unit: string;
  readonly points: readonly (readonly [number, number | null])[];
  readonly thresholds: readonly { readonly value: number; readonly label: string }[];
  /** Merged breach windows [from, to, rule label, 'up' for scale-out rules | 'down' for scale-in]. */
  readonly breaches: readonly (readonly [number, number, string, 'up' | 'down'])[];
  readonly cooldowns: readonly (readonly [number, number])[];
  readonly scalings: readonly {
    readonly t: number;
    readonly before: number;
    readonly after: number;
    readonly label: string;
  }[];
  /** Calls the engine ignored (cooldown, bounds): [t, reason]. */
  readonly ignored: readonly (readonly [number, string])[];
  /** Instance count as a step function: [t, count]. */
  readonly instances: readonly (readonly [number, number])[];
}

export interface ReportData {
  readonly title: string;
  readonly subtitle: string;
  readonly start: number;
  readonly end: number;
  readonly charts: readonly ChartData[];
  /** Scaling events: [ms, app, rule, value, instances, cooldown until ms, why]. */
  readonly rows: readonly (readonly string[])[];
  /** Runs of calls the engine ignored: [from ms, to ms, count, app, rule, reason]. */
  readonly ignoredRows?: readonly (readonly string[])[];
  readonly notes: readonly string[];
}

export interface ReportInput {
  readonly title: string;
  readonly subtitle: string;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly policies: ReadonlyMap<string, Policy>;
  readonly appNames: ReadonlyMap<string, string>;
  readonly series: readonly MetricSeries[];
  readonly breaches: Iterable<Extract<Decision, { kind: 'breach' }>>;
  readonly events: readonly ScalingEvent[];
  readonly rows: readonly ScalingRow[];
  readonly initialInstances: (appId: string) => number;
  readonly notes?: readonly string[];
}

const ms = (ns: bigint): number => Number(ns / 1_000_000n);

const OPERATOR_WORDS: Record<string, string> = { '>': 'above', '>=': 'at or above', '<': 'below', '<=': 'at or below' };

/** "All 4 values of the last 120 s were above 70 % (newest 72 %), so +2 took the app from 2 to 4 instances." */
const whyOf = (breach: Extract<Decision, { kind: 'breach' }> | undefined, e: ScalingEvent): string => {
  const t = e.trigger;
  const unit = t.metricUnit === '' ? '' : t.metricUnit === '%' ? ' %' : ` ${t.metricUnit}`;
  const op = OPERATOR_WORDS[t.operator] ?? t.operator;
  const n = breach?.values.length ?? 0;
  const newest = breach?.values.at(-1);
  return `${n === 1 ? 'The only value' : `All ${n} values`} of ${t.metricType} in the last ${t.breachDurationSecs} s ${n === 1 ? 'was' : 'were'} ${op} ${t.threshold}${unit}${newest === undefined ? '' : ` (newest ${newest}${unit})`}, so ${t.adjustment} took the app from ${e.before} to ${e.after} instances.`;
};

/** Overlapping or touching windows of the same rule become one shaded band. */
type Window = [number, number, string, 'up' | 'down'];

const mergeWindows = (windows: readonly Window[]): Window[] => {
  const merged: Window[] = [];
  const sorted = [...windows].sort((a, b) => (a[2] === b[2] ? a[0] - b[0] : a[2] < b[2] ? -1 : 1));
  for (const [from, to, label, direction] of sorted) {
    const last = merged[merged.length - 1];
    if (last && last[2] === label && from <= last[1]) last[1] = Math.max(last[1], to);
    else merged.push([from, to, label, direction]);
  }
  return merged;
};

/** Builds one chart per (app, metric type) with everything the policy and the replay said about it. */
export const buildReportData = (input: ReportInput): ReportData => {
  const breachesByChart = new Map<string, Window[]>();
  const breaches = [...input.breaches];
  for (const b of breaches) {
    const key = `${b.appId}\u0000${b.trigger.metricType}`;
    const list = breachesByChart.get(key) ?? [];
    list.push([
      ms(b.at) - b.trigger.breachDurationSecs * 1000,
      ms(b.at),
      describeTrigger(b.trigger),
      b.trigger.adjustment.startsWith('-') ? 'down' : 'up',
    ]);
    breachesByChart.set(key, list);
  }
  const breachAt = new Map<string, Extract<Decision, { kind: 'breach' }>>();
  for (const b of breaches) breachAt.set(`${b.appId} ${b.at}`, b);
  const eventsByApp = new Map<string, ScalingEvent[]>();
  for (const e of input.events) {
    const list = eventsByApp.get(e.trigger.appId) ?? [];
    list.push(e);
    eventsByApp.set(e.trigger.appId, list);
  }

  const rowAt = new Map(input.events.map((e, i) => [e, input.rows[i]!] as const));
  const charts = input.series.map((s): ChartData => {
    const policy = input.policies.get(s.appId);
    const events = eventsByApp.get(s.appId) ?? [];
    const scaled = events.filter((e) => e.result.status === 0);
    const instances: [number, number][] = [[ms(input.startNs), input.initialInstances(s.appId)]];
    for (const e of scaled) instances.push([ms(e.at), e.after]);
    return {
      appId: s.appId,
      appName: input.appNames.get(s.appId) ?? '',
      metricType: s.metricType,
      unit: s.unit,
      points: s.points,
      thresholds: (policy?.rules ?? [])
        .filter((r) => r.metricType === s.metricType)
        .map((r) => ({ value: Number(r.threshold), label: `${r.operator} ${r.threshold} (${r.adjustment})` })),
      breaches: mergeWindows(breachesByChart.get(`${s.appId}\u0000${s.metricType}`) ?? []),
      cooldowns: scaled.map((e) => [ms(e.at), ms(e.result.cool_down_expired_at)] as const),
      scalings: scaled.map((e) => ({
        t: ms(e.at),
        before: e.before,
        after: e.after,
        label: describeTrigger(e.trigger),
      })),
      ignored: events.filter((e) => e.result.status !== 0).map((e) => [ms(e.at), e.reason ?? ''] as const),
      instances,
    };
  });
  return {
    title: input.title,
    subtitle: input.subtitle,
    start: ms(input.startNs),
    end: ms(input.endNs),
    charts,
    rows: input.events
      .filter((e) => e.result.status === 0)
      .map((e) => {
        const r = rowAt.get(e)!;
        return [
          String(ms(r.at)),
          r.appName || r.appId,
          r.rule,
          r.value,
          `${r.before} → ${r.after}`,
          String(ms(r.cooldownUntil)),
          whyOf(breachAt.get(`${e.trigger.appId} ${e.at}`), e),
        ];
      }),
    ignoredRows: ignoredRuns(input.events, input.appNames),
    notes: input.notes ?? [],
  };
};

/** Consecutive ignored calls of one app, rule and reason, as one row each. */
const ignoredRuns = (events: readonly ScalingEvent[], appNames: ReadonlyMap<string, string>): string[][] => {
  const runs: { from: number; to: number; count: number; app: string; rule: string; reason: string; appId: string }[] =
    [];
  const lastOf = new Map<string, (typeof runs)[number]>();
  for (const e of events) {
    const appId = e.trigger.appId;
    if (e.result.status === 0) {
      lastOf.delete(appId);
      continue;
    }
    const rule = describeTrigger(e.trigger);
    const reason = e.reason ?? '';
    const last = lastOf.get(appId);
    if (last && last.rule === rule && last.reason === reason) {
      last.to = ms(e.at);
      last.count += 1;
      continue;
    }
    const run = { from: ms(e.at), to: ms(e.at), count: 1, app: appNames.get(appId) || appId, rule, reason, appId };
    runs.push(run);
    lastOf.set(appId, run);
  }
  return runs.map((r) => [String(r.from), String(r.to), String(r.count), r.app, r.rule, r.reason]);
};
