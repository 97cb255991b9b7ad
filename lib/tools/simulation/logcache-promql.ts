import type { Envelope } from '../../core/model/envelope.ts';
import { NS_PER_MS, NS_PER_SECOND } from '../../core/time/ns.ts';
import type { EnvelopeStore } from './logcache-store.ts';

export interface PromQlAnswer {
  readonly status: number;
  /** JSON text without the trailing newline. */
  readonly body: string;
}

const badData = (error: string): PromQlAnswer => ({
  status: 400,
  body: JSON.stringify({ status: 'error', errorType: 'bad_data', error }),
});

// The two instant queries the autoscaler sends (docs/anchor-compatibility.md#promql), with either
// quote style.
const THROUGHPUT =
  /^sum by \(instance_id\) \(count_over_time\(http\{source_id=(['"])([^'"]+)\1,peer_type=(['"])Client\3\}\[(\d+)s\]\)\) \/ (\d+(?:\.\d+)?)$/;
const RESPONSE_TIME =
  /^avg by \(instance_id\) \(max_over_time\(http\{source_id=(['"])([^'"]+)\1,peer_type=(['"])Client\3\}\[(\d+)s\]\)\) \/ \(1000 \* 1000\)$/;

/** Go's strconv 'f' formatting with shortest round-trip digits, and Prometheus' NaN/±Inf. */
export const formatSampleValue = (v: number): string => {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const text = String(v);
  if (!text.includes('e')) return text;
  return Math.abs(v) >= 1 ? BigInt(Math.round(v)).toString() : v.toFixed(20).replace(/0+$/, '');
};

/**
 * Seconds with exactly three decimals, written as a JSON number literal
 * (docs/anchor-compatibility.md#wire-promql).
 */
const sampleTime = (ns: bigint): unknown => {
  const ms = ns / NS_PER_MS;
  const secs = ms / 1000n;
  return JSON.rawJSON(`${secs}.${(ms % 1000n).toString().padStart(3, '0')}`);
};

const parseTime = (raw: string | null, nowNs: bigint): bigint | undefined => {
  if (raw === null || raw === '') return (nowNs / NS_PER_SECOND) * NS_PER_SECOND;
  const decimal = /^(\d+)(?:\.(\d{1,9})\d*)?$/.exec(raw);
  if (decimal) return BigInt(decimal[1] as string) * NS_PER_SECOND + BigInt((decimal[2] ?? '').padEnd(9, '0') || '0');
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? undefined : BigInt(ms) * NS_PER_MS;
};

const vector = (at: bigint, rows: ReadonlyArray<readonly [string, number]>): PromQlAnswer => ({
  status: 200,
  body: JSON.stringify({
    status: 'success',
    data: {
      resultType: 'vector',
      result: rows.map(([instance, value]) => ({
        metric: instance === '' ? {} : { instance_id: instance },
        value: [sampleTime(at), formatSampleValue(value)],
      })),
    },
  }),
});

const byInstance = (a: readonly [string, number], b: readonly [string, number]): number =>
  Number(a[0]) - Number(b[0]) || a[0].localeCompare(b[0]);

/**
 * Answers `GET /api/v1/query` for the autoscaler's throughput and response-time queries by
 * evaluating them over stored gorouter timers (docs/anchor-compatibility.md#wire-promql): value =
 * stop − start in ns, one series per distinct tag set, Prometheus 2.13 range rules on
 * second-truncated timestamps, as `lib/core/metrics/http-timer-samples.ts` computes locally, so
 * both paths agree after ceil. No traffic → an empty vector. Any other query is refused with a 400
 * `bad_data` document.
 */
export const answerPromQl = (params: URLSearchParams, store: EnvelopeStore, nowNs: bigint): PromQlAnswer => {
  const query = (params.get('query') ?? '').trim();
  if (query === '') return badData('parse error at char 1: no expression found in input');
  if (!query.includes('source_id')) return badData('query does not request any source_ids');
  const at = parseTime(params.get('time'), nowNs);
  if (at === undefined)
    return badData(`invalid parameter 'time': cannot parse ${JSON.stringify(params.get('time'))} to a valid timestamp`);

  const throughput = THROUGHPUT.exec(query);
  const responseTime = throughput ? null : RESPONSE_TIME.exec(query);
  const match = throughput ?? responseTime;
  if (!match)
    return badData(
      'parse error: this simulated log-cache evaluates only the autoscaler throughput and responsetime queries',
    );
  const sourceId = match[2] as string;
  const windowNs = BigInt(match[4] as string) * NS_PER_SECOND;
  // Log-cache reads up to the instant (exclusive) and truncates timestamps to the second; the range
  // keeps truncated times >= instant − W, i.e. raw times >= that bound rounded up to a second.
  const earliest = at - windowNs;
  const remainder = ((earliest % NS_PER_SECOND) + NS_PER_SECOND) % NS_PER_SECOND;
  const from = remainder === 0n ? earliest : earliest - remainder + NS_PER_SECOND;
  const timers = store
    .query(sourceId, from, at, new Set(['TIMER']), /^http$/, Number.MAX_SAFE_INTEGER)
    .filter((e) => e.tags['peer_type'] === 'Client');

  if (throughput) {
    const divisor = Number(match[5]);
    const counts = new Map<string, number>();
    for (const e of timers) counts.set(e.instanceId, (counts.get(e.instanceId) ?? 0) + 1);
    return vector(at, [...counts].map(([i, n]): [string, number] => [i, n / divisor]).sort(byInstance));
  }
  // max_over_time per series (distinct tag set), then avg by instance.
  const seriesMax = new Map<string, { instance: string; max: number }>();
  for (const e of timers) {
    const key = seriesKey(e);
    const duration = Number((e.timer?.stop ?? 0n) - (e.timer?.start ?? 0n));
    const s = seriesMax.get(key);
    if (!s) seriesMax.set(key, { instance: e.instanceId, max: duration });
    else if (duration > s.max) s.max = duration;
  }
  // Prometheus 2.13 `avg` keeps a running mean; the same arithmetic keeps ceil() results identical.
  const means = new Map<string, { mean: number; n: number }>();
  for (const { instance, max } of seriesMax.values()) {
    const m = means.get(instance) ?? { mean: 0, n: 0 };
    m.n += 1;
    m.mean += (max - m.mean) / m.n;
    means.set(instance, m);
  }
  return vector(at, [...means].map(([i, m]): [string, number] => [i, m.mean / (1000 * 1000)]).sort(byInstance));
};

const seriesKey = (e: Envelope): string =>
  JSON.stringify([
    e.instanceId,
    ...Object.keys(e.tags)
      .sort()
      .map((k) => [k, e.tags[k]]),
  ]);
