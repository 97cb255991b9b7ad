import type { Envelope, InstanceSample } from '../model/envelope.ts';
import { ceilText } from './ceil-text.ts';
import { unitFor } from './metric-types.ts';
import type { PromQlMetricType } from './metric-types.ts';
import { instanceIndexOfLabel, noTrafficSample, promQlInstantNs, promQlWindowSecs } from './promql.ts';
import { PromQlResultError } from './promql-result-error.ts';

const NS_PER_SECOND = 1_000_000_000n;

interface Series {
  readonly instanceLabel: string | undefined;
  count: number;
  maxDuration: number;
}

/**
 * Throughput or response time computed locally from gorouter `http` timers, giving what the
 * anchor's PromQL instant query (docs/anchor-compatibility.md#promql) would return over the same
 * envelopes.
 *
 * How log-cache evaluates it (docs/anchor-compatibility.md#wire-promql, Prometheus 2.13 range
 * semantics):
 * - the instant is `windowEndNs` rounded to the millisecond (the 3-decimal `time` parameter);
 * - log-cache reads up to that instant, exclusive, then truncates each timestamp to its second;
 *   the range keeps points whose truncated time is in [instant − W, instant], both ends closed;
 * - the series identity is the label set: the tags plus `source_id` and a non-empty `instance_id`;
 * - a timer's value is `stop − start` in ns.
 * throughput per instance = number of points / W; responsetime per instance = mean over that
 * instance's series of each series' maximum, / 1e6 (Prometheus' running mean, series in first-seen
 * order). Both are ceiled. No point at all gives the single zero sample on instance 0.
 *
 * @param appId when given, only envelopes of this source count (the query's `source_id` matcher),
 *   and it names the zero sample; otherwise the first counted envelope's source names the samples.
 * @throws PromQlResultError when a group has no or a non-numeric `instance_id`, as the anchor fails
 *   the fetch for such a vector element.
 */
export const httpTimerSamples = (
  envelopes: readonly Envelope[],
  metricType: PromQlMetricType,
  windowSecs: number,
  windowEndNs: bigint,
  collectedAt: bigint,
  appId?: string,
): InstanceSample[] => {
  const w = promQlWindowSecs(windowSecs);
  const instantNs = promQlInstantNs(windowEndNs);
  const earliestNs = instantNs - BigInt(w) * NS_PER_SECOND;
  const series = new Map<string, Series>();
  let sourceId = appId;
  for (const envelope of envelopes) {
    const timer = envelope.timer;
    if (timer === undefined || timer.name !== 'http' || envelope.tags['peer_type'] !== 'Client') continue;
    if (appId !== undefined && envelope.sourceId !== appId) continue;
    if (envelope.timestamp >= instantNs || truncateToSecond(envelope.timestamp) < earliestNs) continue;
    sourceId ??= envelope.sourceId;
    const labels: Record<string, string> = { ...envelope.tags, source_id: envelope.sourceId };
    if (envelope.instanceId !== '') labels['instance_id'] = envelope.instanceId;
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const duration = Number(timer.stop - timer.start);
    const known = series.get(key);
    if (known === undefined) series.set(key, { instanceLabel: labels['instance_id'], count: 1, maxDuration: duration });
    else {
      known.count += 1;
      known.maxDuration = Math.max(known.maxDuration, duration);
    }
  }
  const name = sourceId ?? '';
  if (series.size === 0) return [noTrafficSample(name, metricType, collectedAt)];

  const fail = (message: string): never => {
    throw new PromQlResultError(message, { appId: name, metricType });
  };
  const groups = new Map<string, { instanceIndex: number; count: number; seriesCount: number; meanOfMax: number }>();
  for (const { instanceLabel, count, maxDuration } of series.values()) {
    const instanceIndex = instanceIndexOfLabel(instanceLabel, fail);
    const label = instanceLabel ?? '';
    const group = groups.get(label) ?? { instanceIndex, count: 0, seriesCount: 0, meanOfMax: 0 };
    group.count += count;
    group.seriesCount += 1;
    // Prometheus 2.13 `avg` keeps a running mean rather than sum / count.
    group.meanOfMax += (maxDuration - group.meanOfMax) / group.seriesCount;
    groups.set(label, group);
  }
  const unit = unitFor(metricType);
  return [...groups.values()]
    .sort((a, b) => a.instanceIndex - b.instanceIndex)
    .map((group) => ({
      appId: name,
      instanceIndex: group.instanceIndex,
      name: metricType,
      unit,
      value: ceilText(metricType === 'throughput' ? group.count / w : group.meanOfMax / (1000 * 1000)),
      timestamp: collectedAt,
      collectedAt,
    }));
};

/** Go's `time.Truncate(time.Second)`: down to the whole second (floor, also before the epoch). */
const truncateToSecond = (ns: bigint): bigint => {
  const remainder = ns % NS_PER_SECOND;
  return remainder < 0n ? ns - remainder - NS_PER_SECOND : ns - remainder;
};
