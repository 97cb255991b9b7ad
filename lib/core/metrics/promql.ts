import type { InstanceSample } from '../model/envelope.ts';
import { isWireObject } from '../envelope/wire-values.ts';
import { ceilText } from './ceil-text.ts';
import { parseInstanceIndex } from './instance-index.ts';
import { unitFor } from './metric-types.ts';
import type { PromQlMetricType } from './metric-types.ts';
import { PromQlResultError } from './promql-result-error.ts';

/**
 * Whole seconds of the PromQL window as the anchor's `%.0f` prints them: round half to even
 * (docs/anchor-compatibility.md#promql), so 40.5 → 40 and 41.5 → 42.
 */
export const promQlWindowSecs = (windowSecs: number): number => {
  if (!Number.isFinite(windowSecs) || windowSecs < 0)
    throw new RangeError(`PromQL window must be a finite number of seconds >= 0, got ${windowSecs}`);
  const floor = Math.floor(windowSecs);
  // The fractional part of a double is exact, so the tie test is exact too.
  const fraction = windowSecs - floor;
  if (fraction !== 0.5) return fraction < 0.5 ? floor : floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
};

/**
 * The exact query strings of docs/anchor-compatibility.md#promql; the app id is substituted
 * literally.
 */
export const promQlQuery = (metricType: PromQlMetricType, appId: string, windowSecs: number): string => {
  const w = BigInt(promQlWindowSecs(windowSecs)).toString();
  const selector = `http{source_id='${appId}',peer_type='Client'}[${w}s]`;
  return metricType === 'throughput'
    ? `sum by (instance_id) (count_over_time(${selector})) / ${w}`
    : `avg by (instance_id) (max_over_time(${selector})) / (1000 * 1000)`;
};

/** The evaluation instant the engine sees: `nowNs` rounded to the nearest millisecond, in ns. */
export const promQlInstantNs = (nowNs: bigint): bigint => {
  const magnitude = nowNs < 0n ? -nowNs : nowNs;
  const ms = (magnitude + 500_000n) / 1_000_000n;
  return (nowNs < 0n ? -ms : ms) * 1_000_000n;
};

/** The `time` parameter: seconds with exactly three decimals, from bigint (no float rounding). */
export const promQlTime = (nowNs: bigint): string => {
  const ms = promQlInstantNs(nowNs) / 1_000_000n;
  const magnitude = ms < 0n ? -ms : ms;
  return `${ms < 0n ? '-' : ''}${magnitude / 1000n}.${(magnitude % 1000n).toString().padStart(3, '0')}`;
};

const PROM_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A Prometheus sample value: Go 'f' text, or NaN/+Inf/-Inf. */
const readSampleValue = (value: unknown): number | undefined => {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'string') return undefined;
  if (value === 'NaN') return Number.NaN;
  if (value === '+Inf' || value === 'Inf') return Number.POSITIVE_INFINITY;
  if (value === '-Inf') return Number.NEGATIVE_INFINITY;
  return PROM_NUMBER.test(value) ? Number(value) : undefined;
};

/** Peer-supplied values in messages; never throws (bigint, cycles). */
const show = (value: unknown): string => {
  if (typeof value === 'bigint') return value.toString();
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
};

/** The sample every empty vector becomes: "no requests in the window" reads as 0 on instance 0. */
export const noTrafficSample = (appId: string, metricType: string, nowNs: bigint): InstanceSample => ({
  appId,
  instanceIndex: 0,
  name: metricType,
  unit: unitFor(metricType),
  value: '0',
  timestamp: nowNs,
  collectedAt: nowNs,
});

/** The instance index of a PromQL group label, or the failure the anchor gives. */
export const instanceIndexOfLabel = (label: unknown, fail: (message: string) => never): number => {
  if (label === undefined) return fail('a sample has no instance_id label');
  const index = typeof label === 'string' ? parseInstanceIndex(label) : undefined;
  return index ?? fail(`instance_id ${show(label)} is not an unsigned 32-bit integer`);
};

/**
 * Samples from a PromQL instant-query body (docs/anchor-compatibility.md#promql), one per vector
 * element, value = ceil, timestamp = collected_at = `nowNs`. An empty vector gives the single zero
 * sample. Every other irregularity throws `PromQlResultError`: the anchor fails the whole fetch
 * rather than guess.
 */
export const samplesFromPromQl = (
  body: unknown,
  appId: string,
  metricType: string,
  nowNs: bigint,
): InstanceSample[] => {
  const fail = (message: string): never => {
    throw new PromQlResultError(message, { appId, metricType });
  };
  if (!isWireObject(body)) return fail('the response is not a JSON object');
  if (body['status'] !== undefined && body['status'] !== 'success') {
    return fail(`the query failed (${show(body['errorType'] ?? 'unknown')}: ${show(body['error'] ?? 'no message')})`);
  }
  const data = body['data'];
  if (!isWireObject(data)) return fail('the response has no data object');
  if (data['resultType'] !== 'vector')
    return fail(`result does not contain a vector (resultType ${show(data['resultType'] ?? null)})`);
  const result = data['result'];
  if (!Array.isArray(result)) return fail('the vector result is not an array');
  if (result.length === 0) return [noTrafficSample(appId, metricType, nowNs)];
  const unit = unitFor(metricType);
  return result.map((element: unknown): InstanceSample => {
    const labels = isWireObject(element) && isWireObject(element['metric']) ? element['metric'] : {};
    const instanceIndex = instanceIndexOfLabel(labels['instance_id'], fail);
    const point = isWireObject(element) ? element['value'] : undefined;
    if (!Array.isArray(point) || point.length < 2)
      return fail(`the sample of instance ${instanceIndex} has no value point`);
    const value = readSampleValue(point[1]);
    if (value === undefined)
      return fail(`the sample of instance ${instanceIndex} has a value that is not a number (${show(point[1])})`);
    return {
      appId,
      instanceIndex,
      name: metricType,
      unit,
      value: ceilText(value),
      timestamp: nowNs,
      collectedAt: nowNs,
    };
  });
};
