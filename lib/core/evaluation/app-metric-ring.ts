import type { AppMetric } from '../model/app-metric.ts';
import { appendWindowMetric, appendWindowRow } from '../model/metric-window.ts';
import type { MetricWindow } from '../model/metric-window.ts';
import { createMetricKinds } from './metric-kinds.ts';
import type { MetricKinds } from './metric-kinds.ts';
import { createRingSlotPool } from './ring-slot-pool.ts';
import type { RingSlotPool, RingSlots } from './ring-slot-pool.ts';

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
  /**
   * The entries of `query(from, end + 1, metricType)` into `into` (emptied first), aged from `end`,
   * without making an AppMetric of each; false, and `into` left empty, when the query would not
   * be a hit.
   */
  window(from: bigint, end: bigint, metricType: string, into: MetricWindow): boolean;
  /** Every entry, oldest first. */
  entries(): AppMetric[];
  readonly capacity: number;
  size(): number;
  /** How many entries are kept whole beside the packed columns, an object each (see `PackedRing`). */
  keptWhole(): number;
  /** Hands the ring's storage back for reuse by other rings; the ring is empty afterwards. */
  release(): void;
}

// A kind index of 0xffff marks an entry kept whole (see `wholes`).
const WHOLE = 0xffff;
const NS_PER_MS = 1_000_000n;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const NO_SLOTS: RingSlots = {
  times: new Int32Array(0),
  values: new Int32Array(0),
  kinds: new Uint16Array(0),
  base: -1,
};

/** The span of int32 milliseconds, in ns. */
const INT32_SPAN_NS = BigInt(INT32_MAX) * NS_PER_MS;

/** `ns` floored to its millisecond. */
const floorToMs = (ns: bigint): bigint => {
  const ms = ns / NS_PER_MS;
  return (ns < 0n && ns % NS_PER_MS !== 0n ? ms - 1n : ms) * NS_PER_MS;
};

/** The int32 that `value` is the text of, or undefined (the entry is then kept whole). */
const int32Of = (value: string): number | undefined => {
  const n = Number(value) | 0;
  return value.length > 0 && value.length <= 11 && String(n) === value ? n : undefined;
};

/**
 * A timestamp as the ring compares it: `ms` whole milliseconds after the ring's base (floor, as a
 * number, ±Infinity beyond int32) and the `rest` in ns (0 to 999,999), with the exact `ns` beside.
 */
interface Instant {
  readonly ms: number;
  readonly rest: number;
  readonly ns: bigint;
}

/**
 * One app's cached metrics of all types, time-ordered, in packed columns of 10 bytes per entry
 * where an `AppMetric` object with its bigint took about 120: the time as int32 milliseconds after
 * the ring's base (its first timestamp, moved up when a new entry is over 24 days after it, see
 * `#rebase`; metrics are stamped at tick instants, whole milliseconds), the value parsed once to an
 * int32, and an index into a cache-wide table of (type, unit, empty). An entry that does not fit
 * (a time off the millisecond grid or over 24 days from the base, a value that is
 * not the text of an int32, another app, more than 65535 kinds) is kept whole beside the columns
 * and compared by its exact timestamp, so every entry comes back exactly as it went in. The slots
 * come from a pool shared by the cache's rings (large buffers, no allocation per ring), all
 * `capacity` at the first put, and are reused in a circle: the common put (newer than all others)
 * is one write and no allocation. A class, not a closure: a cache holds one ring per app, and they
 * share their methods.
 */
class PackedRing implements AppMetricRing {
  readonly capacity: number;
  readonly #kinds: MetricKinds;
  readonly #pool: RingSlotPool;
  #appId: string | undefined;
  #baseNs = 0n;
  #slots: RingSlots = NO_SLOTS;
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

  keptWhole(): number {
    let whole = 0;
    for (let i = 0; i < this.#length; i += 1) if (this.#slots.kinds[this.#slot(i)] === WHOLE) whole += 1;
    return whole;
  }

  /** Gives the ring's slots back to its pool; the ring is empty afterwards. */
  release(): void {
    if (this.#slots !== NO_SLOTS) this.#pool.give(this.#slots);
    this.#slots = NO_SLOTS;
    this.#start = 0;
    this.#length = 0;
    this.#wholes = undefined;
  }

  /** The slot of logical entry i (an index into the pool's columns). */
  #slot(i: number): number {
    const p = this.#start + i;
    return this.#slots.base + (p >= this.capacity ? p - this.capacity : p);
  }

  #instant(ns: bigint): Instant {
    const offset = ns - this.#baseNs;
    let ms = offset / NS_PER_MS;
    let rest = offset % NS_PER_MS;
    if (rest < 0n) {
      ms -= 1n;
      rest += NS_PER_MS;
    }
    const n = Number(ms);
    return {
      ms: n < INT32_MIN ? Number.NEGATIVE_INFINITY : n > INT32_MAX ? Number.POSITIVE_INFINITY : n,
      rest: Number(rest),
      ns,
    };
  }

  /** Whether logical entry i is before `at`, or not after it when `orEqual`. */
  #before(i: number, at: Instant, orEqual: boolean): boolean {
    const p = this.#slot(i);
    if (this.#slots.kinds[p] === WHOLE) {
      const ts = this.#wholes![p - this.#slots.base]!.timestamp;
      return orEqual ? ts <= at.ns : ts < at.ns;
    }
    const ms = this.#slots.times[p]!;
    return orEqual ? ms <= at.ms : ms < at.ms || (ms === at.ms && at.rest > 0);
  }

  /** First logical index not before `at`, or after it when `strict`. */
  #search(at: Instant, strict: boolean): number {
    let lo = 0;
    let hi = this.#length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#before(mid, at, strict)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #copy(to: number, from: number): void {
    const p = this.#slot(to);
    const q = this.#slot(from);
    const { times, values, kinds, base } = this.#slots;
    times[p] = times[q]!;
    values[p] = values[q]!;
    kinds[p] = kinds[q]!;
    if (this.#wholes !== undefined) this.#wholes[p - base] = this.#wholes[q - base];
  }

  #write(i: number, metric: AppMetric, at: Instant): void {
    const p = this.#slot(i);
    const { times, values, kinds, base } = this.#slots;
    const empty = metric.value === '';
    const value = empty ? 0 : int32Of(metric.value);
    const packable = value !== undefined && at.rest === 0 && Number.isFinite(at.ms) && metric.appId === this.#appId;
    const kind = packable ? this.#kinds.indexOf(metric.name, metric.unit, empty) : -1;
    times[p] = Number.isFinite(at.ms) ? at.ms : 0;
    values[p] = kind < 0 ? 0 : value!;
    kinds[p] = kind < 0 ? WHOLE : kind;
    if (kind < 0) {
      this.#wholes ??= new Array<AppMetric | undefined>(this.capacity);
      this.#wholes[p - base] = metric;
    } else if (this.#wholes !== undefined) this.#wholes[p - base] = undefined;
  }

  #read(i: number): AppMetric {
    const p = this.#slot(i);
    const { times, values, kinds, base } = this.#slots;
    const kind = kinds[p]!;
    if (kind === WHOLE) return this.#wholes![p - base]!;
    const { name, unit, empty } = this.#kinds.at(kind);
    return {
      appId: this.#appId!,
      name,
      unit,
      value: empty ? '' : String(values[p]!),
      timestamp: this.#baseNs + BigInt(times[p]!) * NS_PER_MS,
    };
  }

  #nameAt(i: number): string {
    const p = this.#slot(i);
    const kind = this.#slots.kinds[p]!;
    return kind === WHOLE ? this.#wholes![p - this.#slots.base]!.name : this.#kinds.at(kind).name;
  }

  /**
   * Moves the time base up to `newest` (int32 milliseconds reach back as far as forward), or as
   * far as the oldest entry can stay packed but at least half the span below `newest`, and writes
   * every entry again: without it, a ring running for over 24 days kept every new entry whole.
   * Entries that fit the new base are packed (again), those that do not are kept whole; the next
   * move is at least 12 days away.
   */
  #rebase(newest: bigint): void {
    const kept = this.entries();
    const oldest = kept[0]!.timestamp;
    const keepOldest = oldest + INT32_SPAN_NS < newest ? oldest + INT32_SPAN_NS : newest;
    const headroom = newest - INT32_SPAN_NS / 2n;
    this.#baseNs = floorToMs(keepOldest > headroom ? keepOldest : headroom);
    this.#wholes = undefined;
    for (let i = 0; i < kept.length; i += 1) this.#write(i, kept[i]!, this.#instant(kept[i]!.timestamp));
  }

  put(metric: AppMetric): boolean {
    if (this.#slots === NO_SLOTS) {
      this.#slots = this.#pool.take();
      // The first metric sets the app and the time base (its millisecond, floored).
      this.#appId = metric.appId;
      this.#baseNs = floorToMs(metric.timestamp);
    }
    let at = this.#instant(metric.timestamp);
    if (at.ms === Number.POSITIVE_INFINITY && this.#length > 0) {
      this.#rebase(metric.timestamp);
      at = this.#instant(metric.timestamp);
    }
    const length = this.#length;
    const full = length === this.capacity;
    if (length === 0 || this.#before(length - 1, at, true)) {
      // Not older than the newest: appended, or over the oldest slot, which becomes the newest.
      if (full) {
        this.#start = this.#start + 1 === this.capacity ? 0 : this.#start + 1;
        this.#write(length - 1, metric, at);
      } else {
        this.#write(length, metric, at);
        this.#length += 1;
      }
      return true;
    }
    // Older than every entry of a full ring.
    if (full && !this.#before(0, at, true)) return false;
    const pos = this.#search(at, true);
    if (!full) {
      for (let i = length; i > pos; i -= 1) this.#copy(i, i - 1);
      this.#write(pos, metric, at);
      this.#length += 1;
      return true;
    }
    // Full: evict the oldest by moving the entries before `pos` one step towards it.
    for (let i = 0; i < pos - 1; i += 1) this.#copy(i, i + 1);
    this.#write(pos - 1, metric, at);
    return true;
  }

  query(from: bigint, toExclusive: bigint, metricType: string): RingQueryResult {
    const rows: AppMetric[] = [];
    const length = this.#length;
    if (length === 0) return { rows, hit: false };
    const start = this.#instant(from);
    const end = this.#instant(toExclusive);
    for (let i = this.#search(start, false); i < length; i += 1) {
      if (!this.#before(i, end, false)) break;
      if (this.#nameAt(i) === metricType) rows.push(this.#read(i));
    }
    return { rows, hit: this.#before(0, start, true) };
  }

  window(from: bigint, end: bigint, metricType: string, into: MetricWindow): boolean {
    into.length = 0;
    const length = this.#length;
    if (length === 0) return false;
    const start = this.#instant(from);
    if (!this.#before(0, start, true)) return false;
    const last = this.#instant(end);
    // A packed entry's age is end's offset minus its own, while end is within int32 ms of the base.
    const numeric = Number.isFinite(last.ms);
    const { times, values, kinds, base } = this.#slots;
    for (let i = this.#search(start, false); i < length; i += 1) {
      if (!this.#before(i, last, true)) break;
      const p = this.#slot(i);
      const kind = kinds[p]!;
      if (kind === WHOLE) {
        const metric = this.#wholes![p - base]!;
        if (metric.name === metricType) appendWindowMetric(into, metric, end);
        continue;
      }
      const { name, unit, empty } = this.#kinds.at(kind);
      if (name !== metricType) continue;
      if (!numeric) appendWindowMetric(into, this.#read(i), end);
      else if (empty) appendWindowRow(into, last.ms - times[p]!, last.rest, '', Number.NaN, unit);
      else appendWindowRow(into, last.ms - times[p]!, last.rest, String(values[p]!), values[p]!, unit);
    }
    return true;
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
