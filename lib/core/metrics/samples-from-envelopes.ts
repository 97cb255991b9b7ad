import type { Envelope, GaugeValue, InstanceSample } from '../model/envelope.ts';
import { compactEnvelopes } from '../envelope/compact-envelopes.ts';
import { ceilText } from './ceil-text.ts';
import { CONTAINER_GAUGES, CONTAINER_SAMPLES, containerSampleUnit, containerSampleValue } from './container-samples.ts';
import { parseInstanceIndex } from './instance-index.ts';
import { CONTAINER_GAUGE_NAMES } from './metric-types.ts';

type Draft = Pick<InstanceSample, 'name' | 'unit' | 'value'>;

/**
 * Container samples of one envelope, in the anchor's order
 * (docs/anchor-compatibility.md#envelope-samples; see `containerSampleValue`).
 */
const containerSamples = (gauge: Readonly<Record<string, GaugeValue>>): Draft[] => {
  const values = new Float64Array(CONTAINER_GAUGES.length);
  let present = 0;
  CONTAINER_GAUGES.forEach((name, slot) => {
    const metric = Object.hasOwn(gauge, name) ? gauge[name] : undefined;
    if (metric === undefined) return;
    values[slot] = metric.value;
    present |= 1 << slot;
  });
  const drafts: Draft[] = [];
  for (let index = 0; index < CONTAINER_SAMPLES.length; index += 1) {
    const value = containerSampleValue(index, values, present);
    if (value !== undefined)
      drafts.push({ name: CONTAINER_SAMPLES[index]!, unit: containerSampleUnit(index), value: ceilText(value) });
  }
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
  return drafts.map((draft) => ({
    appId: envelope.sourceId,
    instanceIndex,
    ...draft,
    timestamp: envelope.timestamp,
    collectedAt,
  }));
};

/**
 * The samples of one metric type from a REST read (docs/anchor-compatibility.md#envelope-samples):
 * compaction, conversion, then only samples named exactly like `metricType`. A custom metric named
 * like a container gauge (e.g. `memory`) therefore yields nothing, and the `memoryutil` samples
 * pulled in by the `memory` filter are dropped. The result may be empty.
 */
export const samplesFromEnvelopes = (
  envelopes: readonly Envelope[],
  metricType: string,
  collectedAt: bigint,
): InstanceSample[] =>
  compactEnvelopes(envelopes)
    .flatMap((envelope) => samplesFromEnvelope(envelope, collectedAt))
    .filter((sample) => sample.name === metricType);
