import type { EnvelopeRows } from './envelope-rows.ts';
import type { RowWindow } from './envelope-buffer.ts';
import type { AppMetric } from '../model/app-metric.ts';
import {
  CONTAINER_GAUGES,
  containerSampleIndexOf,
  containerSampleUnit,
  containerSampleValue,
} from './container-samples.ts';
import { addToMean, createMeanAccumulator, meanToMetric } from './mean-accumulator.ts';
import type { MeanAccumulator } from './mean-accumulator.ts';

interface TypeState {
  readonly type: string;
  /** Index in CONTAINER_SAMPLES, or -1 for a custom metric type. */
  readonly sample: number;
  readonly mean: MeanAccumulator;
}

// Runs of one timestamp longer than this are grouped with a map instead of a quadratic scan.
const SCAN_LIMIT = 32;

// The merged container gauges of the group being added; one reduction runs at a time.
const values = new Float64Array(CONTAINER_GAUGES.length);

/** Rows that hold a gauge metric (not an empty gauge, not an envelope without a gauge). */
const isMetric = (rows: EnvelopeRows, i: number): boolean => rows.key[i]!.hasMetric;

/**
 * Rows of gauge envelopes, empty gauges included: an empty gauge still opens its compaction group,
 * and the order groups open in decides whose unit comes last.
 */
const isGauge = (rows: EnvelopeRows, i: number): boolean => {
  const { hasMetric, info } = rows.key[i]!;
  return hasMetric || info === 0 || (typeof info === 'object' && info.gauge !== undefined);
};

/** Adds one compaction group (the metric rows at `members[0..size)`, in order) to every type. */
const addGroup = (rows: EnvelopeRows, members: readonly number[], size: number, states: readonly TypeState[]): void => {
  let present = 0;
  for (let k = 0; k < size; k += 1) {
    const i = members[k]!;
    const slot = rows.key[i]!.slot;
    // Later envelopes of the group overwrite earlier values of the same name.
    if (slot >= 0) {
      values[slot] = rows.value[i]!;
      present |= 1 << slot;
    }
  }
  for (const state of states) {
    if (present !== 0) {
      const value = state.sample >= 0 ? containerSampleValue(state.sample, values, present) : undefined;
      if (value !== undefined) addToMean(state.mean, value, containerSampleUnit(state.sample));
      continue;
    }
    // A custom group: every gauge is a sample named like itself; the last of the group wins.
    let found = -1;
    for (let k = 0; k < size; k += 1) if (rows.key[members[k]!]!.name === state.type) found = members[k]!;
    if (found >= 0) addToMean(state.mean, rows.value[found]!, rows.key[found]!.unit);
  }
};

/** Whether rows i and j belong to one compaction group (given equal timestamps). */
const sameKey = (rows: EnvelopeRows, i: number, j: number): boolean => {
  const a = rows.key[i]!.identity;
  const b = rows.key[j]!.identity;
  return a === b || (a.sourceId === b.sourceId && a.instanceId === b.instanceId);
};

/** Calls `addGroup` for each compaction group of the equal-timestamp rows [from, end), in first-seen order. */
const addRun = (
  rows: EnvelopeRows,
  from: number,
  end: number,
  states: readonly TypeState[],
  members: number[],
): void => {
  // Usually all rows of a run are one instance's (one emission): then they are one group.
  const identity = rows.key[from]!.identity;
  let size = 0;
  for (let k = from; k < end && size >= 0; k += 1) {
    const key = rows.key[k]!;
    if (key.identity !== identity) size = -1;
    else if (key.hasMetric) members[size++] = k;
  }
  if (size >= 0) {
    if (size > 0) addGroup(rows, members, size, states);
    return;
  }
  if (end - from <= SCAN_LIMIT) {
    // Usually a few instances' envelopes of one instant: a scan beats building keys.
    for (let k = from; k < end; k += 1) {
      if (!isGauge(rows, k)) continue;
      let firstOfGroup = true;
      for (let j = from; j < k && firstOfGroup; j += 1) firstOfGroup = !isGauge(rows, j) || !sameKey(rows, j, k);
      if (!firstOfGroup) continue;
      size = 0;
      for (let m = k; m < end; m += 1) if (isMetric(rows, m) && sameKey(rows, m, k)) members[size++] = m;
      if (size > 0) addGroup(rows, members, size, states);
    }
    return;
  }
  // Map iteration keeps first-seen order, which is the group order. The length prefix keeps keys
  // of different (source, instance) pairs apart.
  const groups = new Map<string, number[]>();
  for (let k = from; k < end; k += 1) {
    if (!isGauge(rows, k)) continue;
    const { sourceId, instanceId } = rows.key[k]!.identity;
    const key = `${sourceId.length}:${sourceId}${instanceId}`;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = []));
    if (isMetric(rows, k)) group.push(k);
  }
  for (const group of groups.values()) if (group.length > 0) addGroup(rows, group, group.length, states);
};

/**
 * One app metric per distinct type (first-seen order) from the buffered rows of a stat window: what
 * compacting the window's envelopes, converting them to samples, keeping each type's samples and
 * aggregating gives (`compactEnvelopes`, `samplesFromEnvelope`, `aggregateSamples`;
 * docs/anchor-compatibility.md#envelope-samples, #aggregation), without building the envelopes, the
 * merged envelopes, the samples or their text.
 *
 * Rows are in timestamp order, so the envelopes of one compaction group (source, instance,
 * timestamp) sit in one run of equal timestamps; each group gives each type at most one sample, and
 * groups are visited in first-seen order, so the mean and the unit of the last parsed sample come out
 * as on the reference path.
 */
export const reduceGaugeWindow = (
  appId: string,
  window: RowWindow,
  types: readonly string[],
  nowNs: bigint,
): AppMetric[] => {
  const { rows, from: first, to } = window;
  const states: TypeState[] = [];
  for (let i = 0; i < types.length; i += 1) {
    const type = types[i]!;
    if (types.indexOf(type) === i)
      states.push({ type, sample: containerSampleIndexOf(type), mean: createMeanAccumulator() });
  }
  const members: number[] = [];
  for (let from = first; from < to; ) {
    const coarse = rows.coarse[from]!;
    const fine = rows.fine[from]!;
    let end = from + 1;
    while (end < to && rows.coarse[end] === coarse && rows.fine[end] === fine) end += 1;
    addRun(rows, from, end, states, members);
    from = end;
  }
  return states.map(({ type, mean }) => meanToMetric(mean, appId, type, nowNs));
};
