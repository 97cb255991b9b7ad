import type { Envelope, GaugeValue } from '../model/envelope.ts';
import { containerSlotOf } from './container-samples.ts';
import { CONTINUATION, createRowInterner } from './row-interner.ts';
import { joinTimestamp } from './split-timestamp.ts';
import type { RowInterner, RowKey } from './row-interner.ts';
import { sameTags } from './same-tags.ts';

export { CONTINUATION } from './row-interner.ts';
export type { RowKey } from './row-interner.ts';

/**
 * Envelopes as parallel columns, one row per gauge metric: a timestamp (split in two numbers, see
 * `split-timestamp.ts`), a shared `RowKey` (source, instance, tags, metric name and unit, place in
 * the envelope) and a value. A buffered `Envelope` with its gauge objects and tag copy took about
 * 1 KB, and the objects of every buffered envelope were what the collector spent its time copying; a
 * row takes four array slots and no object of its own.
 */
export interface EnvelopeRows {
  readonly coarse: number[];
  readonly fine: number[];
  readonly key: RowKey[];
  /** Always numbers, so that the array keeps unboxed doubles. */
  readonly value: number[];
  /** Shares identities and keys among the rows; not part of the data. */
  readonly interner: RowInterner;
}

export const createEnvelopeRows = (interner: RowInterner = createRowInterner()): EnvelopeRows => ({
  coarse: [],
  fine: [],
  key: [],
  value: [],
  interner,
});

/** The rows from `from` on, in fresh arrays (to let go of a dead prefix). */
export const sliceRows = (rows: EnvelopeRows, from: number): EnvelopeRows => ({
  coarse: rows.coarse.slice(from),
  fine: rows.fine.slice(from),
  key: rows.key.slice(from),
  value: rows.value.slice(from),
  interner: rows.interner,
});

/** Whether row `i` starts an envelope. */
export const startsEnvelope = (rows: EnvelopeRows, i: number): boolean => rows.key[i]!.info !== CONTINUATION;

/** How many rows the envelope starting at row `first` takes. */
export const rowsOf = (rows: EnvelopeRows, first: number): number => {
  let end = first + 1;
  while (end < rows.key.length && !startsEnvelope(rows, end)) end += 1;
  return end - first;
};

const isPureGauge = (envelope: Envelope): boolean =>
  envelope.gauge !== undefined && envelope.timer === undefined && envelope.counter === undefined;

const pushRow = (rows: EnvelopeRows, coarse: number, fine: number, key: RowKey, value: number): void => {
  rows.coarse.push(coarse);
  rows.fine.push(fine);
  rows.key.push(key);
  rows.value.push(value);
};

const appendEnvelope = (rows: EnvelopeRows, envelope: Envelope, coarse: number, fine: number): number => {
  const { gauge } = envelope;
  const { interner } = rows;
  const identity = interner.identity(envelope.sourceId, envelope.instanceId, envelope.tags);
  const whole = isPureGauge(envelope) ? undefined : envelope;
  const first = rows.key.length;
  let n = 0;
  if (gauge !== undefined) {
    // for-in sees own names only on a plain object, which is what parsers make; else check each.
    const plain = Object.getPrototypeOf(gauge) === Object.prototype;
    for (const name in gauge) {
      if (!plain && !Object.hasOwn(gauge, name)) continue;
      const { unit, value } = gauge[name]!;
      // The first row says 1 until the count is known (log-cache sends one metric per envelope).
      pushRow(
        rows,
        coarse,
        fine,
        interner.key(identity, true, name, unit, n > 0 ? CONTINUATION : (whole ?? 1), containerSlotOf),
        value,
      );
      n += 1;
    }
  }
  if (n === 0) {
    pushRow(rows, coarse, fine, interner.key(identity, false, '', '', whole ?? 0, containerSlotOf), 0);
    return 1;
  }
  if (n > 1 && whole === undefined) {
    const { name, unit } = rows.key[first]!;
    rows.key[first] = interner.key(identity, true, name, unit, n, containerSlotOf);
  }
  return n;
};

const rotate = <T>(column: T[], at: number, n: number): void => {
  column.splice(at, 0, ...column.splice(column.length - n, n));
};

/**
 * Writes the rows of `envelope` at row `at` (usually the end), its timestamp given split. Returns how
 * many rows it took.
 */
export const insertEnvelope = (
  rows: EnvelopeRows,
  at: number,
  envelope: Envelope,
  coarse: number,
  fine: number,
): number => {
  const n = appendEnvelope(rows, envelope, coarse, fine);
  if (at === rows.key.length - n) return n;
  // Out of order, which is rare: the new rows move from the end into place.
  rotate(rows.coarse, at, n);
  rotate(rows.fine, at, n);
  rotate(rows.key, at, n);
  rotate(rows.value, at, n);
  return n;
};

/** The envelope starting at row `first`: the one kept whole, or an equal one rebuilt. */
export const envelopeAt = (rows: EnvelopeRows, first: number): Envelope => {
  const { info, identity } = rows.key[first]!;
  if (typeof info !== 'number') return info;
  const gauge: Record<string, GaugeValue> = {};
  for (let i = first; i < first + info; i += 1) {
    const { name, unit } = rows.key[i]!;
    Object.defineProperty(gauge, name, {
      value: { unit, value: rows.value[i]! },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const timestamp = joinTimestamp(rows.coarse[first]!, rows.fine[first]!);
  return { timestamp, sourceId: identity.sourceId, instanceId: identity.instanceId, tags: identity.tags, gauge };
};

/**
 * Whether the envelope starting at row `first`, which has the timestamp of `envelope`, is the same
 * emission: same source, instance, tags and message (NaN equal to NaN). Allocation-free for pure
 * gauges, as it runs for every envelope that shares a timestamp with a buffered one.
 */
export const sameEnvelopeAt = (
  rows: EnvelopeRows,
  first: number,
  envelope: Envelope,
  same: (a: Envelope, b: Envelope) => boolean,
): boolean => {
  const { info, identity } = rows.key[first]!;
  if (typeof info !== 'number') return same(info, envelope);
  if (!isPureGauge(envelope) || identity.instanceId !== envelope.instanceId || identity.sourceId !== envelope.sourceId)
    return false;
  const gauge = envelope.gauge!;
  let n = 0;
  for (const name in gauge) {
    if (!Object.hasOwn(gauge, name)) continue;
    const { unit, value } = gauge[name]!;
    let found = false;
    for (let i = first; i < first + info && !found; i += 1) {
      const key = rows.key[i]!;
      found = key.name === name && key.unit === unit && Object.is(rows.value[i], value);
    }
    if (!found) return false;
    n += 1;
  }
  return n === info && sameTags(identity.tags, envelope.tags);
};
