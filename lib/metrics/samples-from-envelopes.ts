import type { Envelope, GaugeValue, InstanceSample } from '../model/envelope.ts';
import { compactEnvelopes } from '../envelope/compact-envelopes.ts';
import { ceilText } from './ceil-text.ts';
import { parseInstanceIndex } from './instance-index.ts';
import { CONTAINER_GAUGE_NAMES, METRIC_UNITS } from './metric-types.ts';

const BYTES_PER_MB = 1048576;

type Draft = Pick<InstanceSample, 'name' | 'unit' | 'value'>;

/**
 * Container samples of one envelope, in the order of contracts §4.5. The arithmetic order matches
 * the anchor (`memory / quota * 100`, left to right), which decides the ceiling at exact ratios
 * such as 10.2 MiB of 20 MiB (51, not 52). A missing `memory`/`disk` counts as 0 for the ratios;
 * a zero or missing quota yields no ratio sample.
 */
const containerSamples = (gauge: Readonly<Record<string, GaugeValue>>): Draft[] => {
  const value = (name: string): number | undefined => (Object.hasOwn(gauge, name) ? gauge[name]?.value : undefined);
  const memory = value('memory');
  const memoryQuota = value('memory_quota');
  const cpu = value('cpu');
  const cpuEntitlement = value('cpu_entitlement');
  const disk = value('disk');
  const diskQuota = value('disk_quota');
  const drafts: Draft[] = [];
  const add = (name: keyof typeof METRIC_UNITS, v: number): void => void drafts.push({ name, unit: METRIC_UNITS[name], value: ceilText(v) });
  if (memory !== undefined) add('memoryused', memory / BYTES_PER_MB);
  if (memoryQuota !== undefined && memoryQuota !== 0) add('memoryutil', ((memory ?? 0) / memoryQuota) * 100);
  if (cpu !== undefined) add('cpu', cpu);
  if (cpuEntitlement !== undefined) add('cpuutil', cpuEntitlement);
  if (diskQuota !== undefined && diskQuota !== 0) add('diskutil', ((disk ?? 0) / diskQuota) * 100);
  if (disk !== undefined) add('disk', disk / BYTES_PER_MB);
  return drafts;
};

/** Every gauge entry of a non-container envelope is a custom metric with its own unit. */
const customSamples = (gauge: Readonly<Record<string, GaugeValue>>): Draft[] =>
  Object.entries(gauge).map(([name, { unit, value }]) => ({ name, unit, value: ceilText(value) }));

/**
 * All samples of one (already compacted) gauge envelope, before the metric-type filter. Other gauge
 * names in a container envelope (container_age, log_rate, ...) are ignored. An instance id that is
 * not an unsigned decimal becomes instance 0, as in the anchor.
 */
export const samplesFromEnvelope = (envelope: Envelope, collectedAt: bigint): InstanceSample[] => {
  const gauge = envelope.gauge;
  if (gauge === undefined) return [];
  const isContainer = Object.keys(gauge).some((name) => CONTAINER_GAUGE_NAMES.has(name));
  const drafts = isContainer ? containerSamples(gauge) : customSamples(gauge);
  const instanceIndex = parseInstanceIndex(envelope.instanceId) ?? 0;
  return drafts.map((draft) => ({ appId: envelope.sourceId, instanceIndex, ...draft, timestamp: envelope.timestamp, collectedAt }));
};

/**
 * The samples of one metric type from a REST read (contracts §4.4–§4.5): compaction, conversion, then
 * only samples named exactly like `metricType`. A custom metric named like a container gauge (e.g.
 * `memory`) therefore yields nothing, and the `memoryutil` samples pulled in by the `memory` filter
 * are dropped. The result may be empty.
 */
export const samplesFromEnvelopes = (envelopes: readonly Envelope[], metricType: string, collectedAt: bigint): InstanceSample[] =>
  compactEnvelopes(envelopes)
    .flatMap((envelope) => samplesFromEnvelope(envelope, collectedAt))
    .filter((sample) => sample.name === metricType);
