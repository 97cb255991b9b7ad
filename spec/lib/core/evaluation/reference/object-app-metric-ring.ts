import type { AppMetric } from '../../../../../lib/core/model/app-metric.ts';

export interface RingQueryResult {
  /** Entries with from <= timestamp < toExclusive of the asked type, ascending. */
  readonly rows: AppMetric[];
  /** The cache covers `from`: it is non-empty and its oldest entry (of any type) is at or before it. */
  readonly hit: boolean;
}

export interface AppMetricRing {
  /**
   * Inserts in timestamp order (docs/anchor-compatibility.md#metric-cache); false when the entry
   * was too old to keep.
   */
  put(metric: AppMetric): boolean;
  query(from: bigint, toExclusive: bigint, metricType: string): RingQueryResult;
  /** Every entry, oldest first. */
  entries(): AppMetric[];
  readonly capacity: number;
  size(): number;
}

/**
 * The metric cache ring as it was before it was packed into typed arrays: one object per metric.
 * Kept as the reference model the packed ring is checked against on random streams.
 */
export const createObjectAppMetricRing = (capacity: number): AppMetricRing => {
  if (!Number.isInteger(capacity) || capacity < 1)
    throw new RangeError(`metric cache capacity must be a positive integer, got ${capacity}`);
  const slots: (AppMetric | undefined)[] = new Array(capacity);
  let start = 0;
  let length = 0;

  const at = (i: number): AppMetric => slots[(start + i) % capacity]!;
  const set = (i: number, m: AppMetric): void => {
    slots[(start + i) % capacity] = m;
  };

  /** First logical index whose timestamp is greater than ts (equal timestamps keep arrival order). */
  const upperBound = (ts: bigint): number => {
    let lo = 0;
    let hi = length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at(mid).timestamp <= ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  /** First logical index whose timestamp is at least ts. */
  const lowerBound = (ts: bigint): number => {
    let lo = 0;
    let hi = length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at(mid).timestamp < ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  const append = (m: AppMetric): void => {
    if (length < capacity) {
      set(length, m);
      length += 1;
    } else {
      // Full: the new entry takes the oldest slot, which becomes the newest.
      slots[start] = m;
      start = (start + 1) % capacity;
    }
  };

  return {
    capacity,
    size: () => length,

    put(m) {
      if (length === 0 || m.timestamp >= at(length - 1).timestamp) {
        append(m);
        return true;
      }
      const full = length === capacity;
      if (full && m.timestamp < at(0).timestamp) return false;
      const pos = upperBound(m.timestamp);
      if (!full) {
        for (let i = length; i > pos; i -= 1) set(i, at(i - 1));
        set(pos, m);
        length += 1;
        return true;
      }
      // Full: evict the oldest by moving the entries before `pos` one step towards it.
      for (let i = 0; i < pos - 1; i += 1) set(i, at(i + 1));
      set(pos - 1, m);
      return true;
    },

    query(from, toExclusive, metricType) {
      const rows: AppMetric[] = [];
      for (let i = lowerBound(from); i < length; i += 1) {
        const m = at(i);
        if (m.timestamp >= toExclusive) break;
        if (m.name === metricType) rows.push(m);
      }
      return { rows, hit: length > 0 && at(0).timestamp <= from };
    },

    entries() {
      const out: AppMetric[] = [];
      for (let i = 0; i < length; i += 1) out.push(at(i));
      return out;
    },
  };
};
