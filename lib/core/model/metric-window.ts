import type { AppMetric } from './app-metric.ts';

/**
 * The rows of one query window [start, end] as evaluation judges them, oldest first, in columns of
 * numbers where numbers are exact: each row's age (end − timestamp) as whole milliseconds, floored,
 * and the nanoseconds over them (0 to 999,999), so any two int64 instants give an exact age; its
 * value text, as shown in decisions; that value as a number when the text is the literal of a safe
 * integer (else NaN: the text is parsed when it is judged); and its unit. A reader fills it
 * (`QueryAppMetrics.window`) and evaluation reuses one window for every rule it judges, so the
 * columns may hold stale entries past `length`.
 */
export interface MetricWindow {
  length: number;
  readonly ageMs: number[];
  readonly ageRestNs: number[];
  readonly texts: string[];
  readonly values: number[];
  readonly units: string[];
}

export const createMetricWindow = (): MetricWindow => ({
  length: 0,
  ageMs: [],
  ageRestNs: [],
  texts: [],
  values: [],
  units: [],
});

/** Appends one row (the age already split into whole ms and the ns over them). */
export const appendWindowRow = (
  window: MetricWindow,
  ageMs: number,
  ageRestNs: number,
  text: string,
  value: number,
  unit: string,
): void => {
  const i = window.length;
  window.ageMs[i] = ageMs;
  window.ageRestNs[i] = ageRestNs;
  window.texts[i] = text;
  window.values[i] = value;
  window.units[i] = unit;
  window.length = i + 1;
};

const INT64_LITERAL = /^[+-]?\d+$/;

/**
 * The value of an integer literal (Go's ParseInt syntax: optional sign, decimal digits) when it is
 * a safe integer, so that comparing it as a number is exact; NaN for anything else.
 */
export const safeIntegerOf = (text: string): number => {
  const n = Number(text);
  return Number.isSafeInteger(n) && INT64_LITERAL.test(text) ? n : Number.NaN;
};

const NS_PER_MS = 1_000_000n;

/** Appends an app metric as a row aged from `end` (ns), with bigint arithmetic only here. */
export const appendWindowMetric = (window: MetricWindow, metric: AppMetric, end: bigint): void => {
  const age = end - metric.timestamp;
  let ms = age / NS_PER_MS;
  let rest = age % NS_PER_MS;
  if (rest < 0n) {
    ms -= 1n;
    rest += NS_PER_MS;
  }
  appendWindowRow(window, Number(ms), Number(rest), metric.value, safeIntegerOf(metric.value), metric.unit);
};
