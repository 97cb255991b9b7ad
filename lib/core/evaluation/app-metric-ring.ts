import type { AppMetric } from '../model/app-metric.ts';
import { coarseOf, fineOf, joinTimestamp } from '../metrics/split-timestamp.ts';
import { createMetricKinds } from './metric-kinds.ts';
import type { MetricKinds } from './metric-kinds.ts';
import { createRingSlotPool } from './ring-slot-pool.ts';
import type { RingSlotPool } from './ring-slot-pool.ts';

export interface RingQueryResult {
  /** Entries with from <= timestamp < toExclusive of the asked type, ascending. */
  readonly rows: AppMetric[];
  /** The cache covers `from`: it is non-empty and its oldest entry (of any type) is at or before it. */
  readonly hit: boolean;
}

export interface AppMetricRing {
  /**
   * Inserts in timestamp order (docs/anchor-compatibility.md#metric-cache); false when the entry
   * was too old to keep, or
   * its timestamp is beyond ±2^67 ns (no database or wire can hold it).
   */
  put(metric: AppMetric): boolean;
  query(from: bigint, toExclusive: bigint, metricType: string): RingQueryResult;
  /** Every entry, oldest first. */
  entries(): AppMetric[];
  readonly capacity: number;
  size(): number;
  /** Hands the ring's storage back for reuse by other rings; the ring is empty afterwards. */
  release(): void;
}

// A kind index of 0xffff marks an entry kept whole (see `wholes`).
const WHOLE = 0xffff;
const NO_COARSE = new Float64Array(0);
const NO_META = new Int32Array(0);
// |fine| <= 2^(k-53) for |ts| < 2^k (split-timestamp.ts), so 16 signed bits hold it below 2^67.
const TS_LIMIT = 2n ** 67n;

/** The int32 that `value` is the text of, or undefined (the entry is then kept whole). */
const int32Of = (value: string): number | undefined => {
  const n = Number(value) | 0;
  return value.length > 0 && value.length <= 11 && String(n) === value ? n : undefined;
};

/** A query bound as a split timestamp; beyond the storable range it is an infinity. */
const boundOf = (ts: bigint): [number, number] => {
  if (ts >= TS_LIMIT) return [Number.POSITIVE_INFINITY, 0];
  if (ts <= -TS_LIMIT) return [Number.NEGATIVE_INFINITY, 0];
  const coarse = coarseOf(ts);
  return [coarse, fineOf(ts, coarse)];
};

/**
 * One app's cached metrics of all types, time-ordered, in packed columns: per entry a double
 * (`coarse` of the split timestamp) and two int32 (the value, and `fine` beside the kind index:
 * name, unit, empty), 16 bytes where an `AppMetric` object with its bigint took about 120. Values
 * are parsed once, on the way in. An entry that does not fit (a value that is not the text of an
 * int32, another app, more kinds than 16 bits name) is kept whole beside the columns, so every
 * entry comes back exactly as it went in. The slots come from a pool shared by the cache's rings
 * (large buffers, no allocation per ring) at the first put, all `capacity` at once, and are reused
 * in a circle: the common put (newer than all others) is one write and no allocation.
 * A class, not a closure: a cache holds one ring per app and they share their methods.
 */
class PackedRing implements AppMetricRing {
  readonly capacity: number;
  readonly #kinds: MetricKinds;
  #appId: string | undefined;
  readonly #pool: RingSlotPool;
  #coarse: Float64Array = NO_COARSE;
  /** Two per slot: the value, then fine << 16 | kind. */
  #meta: Int32Array = NO_META;
  /** The first of this ring's `capacity` slots in the pool's columns; -1 before the first put. */
  #base = -1;
  /** Entries kept whole, by slot - base. */
  #wholes: (AppMetric | undefined)[] | undefined;
  #start = 0;
  #length = 0;

  constructor(capacity: number, kinds: MetricKinds, pool: RingSlotPool) {
    this.capacity = capacity;
    this.#kinds = kinds;
    this.#pool = pool;
  }

  size(): number {
    return this.#length;
  }

  /** Gives the ring's slots back to its pool; the ring is empty afterwards. */
  release(): void {
    if (this.#base >= 0) this.#pool.give(this.#coarse, this.#base);
    this.#base = -1;
    this.#start = 0;
    this.#length = 0;
    this.#wholes = undefined;
  }

  /** The slot of logical entry i (an index into the pool's columns). */
  #slot(i: number): number {
    const p = this.#start + i;
    return this.#base + (p >= this.capacity ? p - this.capacity : p);
  }

  /** Whether logical entry i is before (coarse, fine), or not after it when `orEqual`. */
  #before(i: number, coarse: number, fine: number, orEqual: boolean): boolean {
    const p = this.#slot(i);
    const c = this.#coarse[p]!;
    if (c !== coarse) return c < coarse;
    const f = this.#meta[2 * p + 1]! >> 16;
    return orEqual ? f <= fine : f < fine;
  }

  /** First logical index not before (coarse, fine), or after it when `strict`. */
  #search(coarse: number, fine: number, strict: boolean): number {
    let lo = 0;
    let hi = this.#length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#before(mid, coarse, fine, strict)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #copy(to: number, from: number): void {
    const p = this.#slot(to);
    const q = this.#slot(from);
    this.#coarse[p] = this.#coarse[q]!;
    this.#meta[2 * p] = this.#meta[2 * q]!;
    this.#meta[2 * p + 1] = this.#meta[2 * q + 1]!;
    if (this.#wholes !== undefined) this.#wholes[p - this.#base] = this.#wholes[q - this.#base];
  }

  #write(i: number, metric: AppMetric, coarse: number, fine: number): void {
    const p = this.#slot(i);
    this.#appId ??= metric.appId;
    const empty = metric.value === '';
    const value = empty ? 0 : int32Of(metric.value);
    const kind =
      value === undefined || metric.appId !== this.#appId ? -1 : this.#kinds.indexOf(metric.name, metric.unit, empty);
    this.#coarse[p] = coarse;
    this.#meta[2 * p] = kind < 0 ? 0 : value!;
    this.#meta[2 * p + 1] = (fine << 16) | (kind < 0 ? WHOLE : kind);
    if (kind < 0) {
      this.#wholes ??= new Array<AppMetric | undefined>(this.capacity);
      this.#wholes[p - this.#base] = metric;
    } else if (this.#wholes !== undefined) this.#wholes[p - this.#base] = undefined;
  }

  #read(i: number): AppMetric {
    const p = this.#slot(i);
    const info = this.#meta[2 * p + 1]!;
    const kind = info & 0xffff;
    if (kind === WHOLE) return this.#wholes![p - this.#base]!;
    const { name, unit, empty } = this.#kinds.at(kind);
    return {
      appId: this.#appId!,
      name,
      unit,
      value: empty ? '' : String(this.#meta[2 * p]!),
      timestamp: joinTimestamp(this.#coarse[p]!, info >> 16),
    };
  }

  #nameAt(i: number): string {
    const p = this.#slot(i);
    const kind = this.#meta[2 * p + 1]! & 0xffff;
    return kind === WHOLE ? this.#wholes![p - this.#base]!.name : this.#kinds.at(kind).name;
  }

  put(metric: AppMetric): boolean {
    const ts = metric.timestamp;
    if (ts >= TS_LIMIT || ts <= -TS_LIMIT) return false;
    const coarse = coarseOf(ts);
    const fine = fineOf(ts, coarse);
    const length = this.#length;
    const full = length === this.capacity;
    if (this.#base < 0) {
      const slots = this.#pool.take();
      this.#coarse = slots.coarse;
      this.#meta = slots.meta;
      this.#base = slots.base;
    }
    if (length === 0 || this.#before(length - 1, coarse, fine, true)) {
      // Not older than the newest: appended, or over the oldest slot, which becomes the newest.
      if (full) {
        this.#start = this.#start + 1 === this.capacity ? 0 : this.#start + 1;
        this.#write(length - 1, metric, coarse, fine);
      } else {
        this.#write(length, metric, coarse, fine);
        this.#length += 1;
      }
      return true;
    }
    // Older than every entry of a full ring.
    if (full && !this.#before(0, coarse, fine, true)) return false;
    const pos = this.#search(coarse, fine, true);
    if (!full) {
      for (let i = length; i > pos; i -= 1) this.#copy(i, i - 1);
      this.#write(pos, metric, coarse, fine);
      this.#length += 1;
      return true;
    }
    // Full: evict the oldest by moving the entries before `pos` one step towards it.
    for (let i = 0; i < pos - 1; i += 1) this.#copy(i, i + 1);
    this.#write(pos - 1, metric, coarse, fine);
    return true;
  }

  query(from: bigint, toExclusive: bigint, metricType: string): RingQueryResult {
    const rows: AppMetric[] = [];
    const length = this.#length;
    if (length === 0) return { rows, hit: false };
    const [fromCoarse, fromFine] = boundOf(from);
    const [toCoarse, toFine] = boundOf(toExclusive);
    for (let i = this.#search(fromCoarse, fromFine, false); i < length; i += 1) {
      if (!this.#before(i, toCoarse, toFine, false)) break;
      if (this.#nameAt(i) === metricType) rows.push(this.#read(i));
    }
    return { rows, hit: this.#before(0, fromCoarse, fromFine, true) };
  }

  entries(): AppMetric[] {
    const out: AppMetric[] = [];
    for (let i = 0; i < this.#length; i += 1) out.push(this.#read(i));
    return out;
  }
}

export interface RingStorage {
  readonly kinds: MetricKinds;
  readonly pool: RingSlotPool;
}

/** What the rings of one cache share: the kind table and the slot pool of their capacity. */
export const createRingStorage = (capacity: number): RingStorage => ({
  kinds: createMetricKinds(),
  pool: createRingSlotPool(capacity),
});

/**
 * A fixed-capacity, time-ordered buffer of one app's metrics of all types (see `PackedRing`).
 * Rings of one cache share `storage`; a ring on its own gets storage of its own.
 */
export const createAppMetricRing = (capacity: number, storage?: RingStorage): AppMetricRing => {
  if (!Number.isInteger(capacity) || capacity < 1)
    throw new RangeError(`metric cache capacity must be a positive integer, got ${capacity}`);
  const { kinds, pool } = storage ?? createRingStorage(capacity);
  if (pool.capacity !== capacity)
    throw new RangeError(`ring capacity ${capacity} differs from its pool's ${pool.capacity}`);
  return new PackedRing(capacity, kinds, pool);
};
