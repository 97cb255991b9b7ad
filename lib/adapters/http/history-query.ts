import type { SortOrder } from '../../core/model/app-metric.ts';

/**
 * Query parameters of GET /v1/apps/{appid}/aggregated_metric_histories/{metrictype}
 * (docs/anchor-compatibility.md#history-api).
 */
export type HistoryQuery =
  | { readonly ok: true; readonly start: bigint; readonly end: bigint; readonly order: SortOrder }
  | { readonly ok: false; readonly message: string };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// Go's strconv.ParseInt(text, 10, 64): optional sign, ASCII digits, within int64.
const parseInt64 = (text: string): bigint | undefined => {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
};

const parseBound = (params: URLSearchParams, name: 'start' | 'end', fallback: bigint): bigint | string => {
  const values = params.getAll(name);
  if (values.length > 1) return `Incorrect ${name} parameter in query string`;
  if (values.length === 0) return fallback;
  return parseInt64(values[0] ?? '') ?? `Error parsing ${name} time`;
};

/**
 * Validates start, end and order in that order and returns the first failure's message. Only the
 * parameter being validated is checked for repetition; unknown parameters (page, …) are ignored.
 * A negative end is passed on as is: the reader treats it as now.
 */
export const parseHistoryQuery = (rawQuery: string): HistoryQuery => {
  const params = new URLSearchParams(rawQuery);
  const start = parseBound(params, 'start', 0n);
  if (typeof start === 'string') return { ok: false, message: start };
  const end = parseBound(params, 'end', -1n);
  if (typeof end === 'string') return { ok: false, message: end };
  const orders = params.getAll('order');
  if (orders.length > 1) return { ok: false, message: 'Incorrect order parameter in query string' };
  const order = orders.length === 0 ? 'ASC' : (orders[0] ?? '').toUpperCase();
  if (order !== 'ASC' && order !== 'DESC') {
    return { ok: false, message: 'Incorrect order parameter in query string, the value can only be ASC or DESC' };
  }
  return { ok: true, start, end, order };
};
