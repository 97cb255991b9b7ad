import type { Envelope } from '../model/envelope.ts';
import {
  createEnvelopeRows,
  envelopeAt,
  insertEnvelope,
  rowsOf,
  sameEnvelopeAt,
  sliceRows,
  startsEnvelope,
} from './envelope-rows.ts';
import type { EnvelopeRows } from './envelope-rows.ts';
import { sameEnvelope } from './same-envelope.ts';
import { coarseOf, fineOf, isBefore } from './split-timestamp.ts';

export type AddOutcome = 'added' | 'duplicate' | 'too-old';

/** Rows [from, to) of a buffer's `EnvelopeRows`, valid until the buffer changes. */
export interface RowWindow {
  readonly rows: EnvelopeRows;
  readonly from: number;
  readonly to: number;
}

/**
 * One app's envelopes in timestamp order, for windowed aggregation. Envelopes mostly arrive in
 * time order, so the common add is one comparison and an append; the sorted order also makes a
 * re-delivered envelope (overlapping log-cache reads) cheap to recognise, without a key per envelope.
 * Envelopes are kept as `EnvelopeRows`, not as objects.
 */
export interface EnvelopeBuffer {
  add(envelope: Envelope): AddOutcome;
  /** Forgets envelopes older than `fromNs` and refuses any that old from now on. */
  prune(fromNs: bigint): void;
  /** Envelopes with fromNs <= timestamp < toExclusiveNs, ascending (a new array; gauges rebuilt equal). */
  between(fromNs: bigint, toExclusiveNs: bigint): Envelope[];
  /** The rows of `between`, without building envelopes: what windowed aggregation reads. */
  rowsBetween(fromNs: bigint, toExclusiveNs: bigint): RowWindow;
  /** How many of the oldest envelopes the size bound evicted since the last call. */
  takeEvicted(): number;
  size(): number;
}

// Shared by every buffer that has had nothing yet (an app's timer buffer mostly stays so); never written.
const NO_ROWS = createEnvelopeRows();

/**
 * A class, not a closure: every monitored app has two buffers, and eleven closures each were about
 * 2.5 KB per app, more than the rows of a stat window. The columns are cut to their length at each
 * prune: pushed-to arrays keep up to half again of spare room, and they live a whole stat window.
 */
class RowBuffer implements EnvelopeBuffer {
  readonly #maxSize: number;
  #rows = NO_ROWS;
  #start = 0; // rows before `start` are dead; dropping the oldest only moves it
  #live = 0; // envelopes in the live rows
  #horizon: bigint | undefined;
  #evicted = 0;
  // Rows were added since the columns were last cut to their length.
  #grown = false;
  // The envelopes of one emission share a timestamp: its split is reused.
  #lastTs: bigint | undefined;
  #coarse = 0;
  #fine = 0;

  constructor(maxSize: number) {
    this.#maxSize = maxSize;
  }

  #split(ts: bigint): void {
    if (ts === this.#lastTs) return;
    this.#lastTs = ts;
    this.#coarse = coarseOf(ts);
    this.#fine = fineOf(ts, this.#coarse);
  }

  /** First row (absolute) whose timestamp is after the split one, or not before it when `strict` is false. */
  #searchSplit(strict: boolean): number {
    const { coarse: coarses, fine: fines } = this.#rows;
    const coarse = this.#coarse;
    const fine = this.#fine;
    let lo = this.#start;
    let hi = coarses.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = coarses[mid]!;
      const f = fines[mid]!;
      if (c < coarse || (c === coarse && (f < fine || (strict && f === fine)))) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #search(ts: bigint, strict: boolean): number {
    this.#split(ts);
    return this.#searchSplit(strict);
  }

  /** Whether an identical envelope sits among those with the split timestamp, ending just before row `end`. */
  #seen(envelope: Envelope, end: number): boolean {
    const rows = this.#rows;
    for (let i = end - 1; i >= this.#start && rows.coarse[i] === this.#coarse && rows.fine[i] === this.#fine; i -= 1) {
      if (startsEnvelope(rows, i) && sameEnvelopeAt(rows, i, envelope, sameEnvelope)) return true;
    }
    return false;
  }

  // A dead prefix is dropped once it is as long as the rest: each row is copied at most about once.
  #compact(): void {
    if (this.#start >= 32 && this.#start * 2 >= this.#rows.key.length) {
      this.#rows = sliceRows(this.#rows, this.#start);
      this.#start = 0;
    }
  }

  add(envelope: Envelope): AddOutcome {
    if (this.#horizon !== undefined && envelope.timestamp < this.#horizon) return 'too-old';
    this.#split(envelope.timestamp);
    const rows = this.#rows;
    const end = rows.key.length;
    const last = end - 1;
    const inOrder = end === this.#start || !isBefore(this.#coarse, this.#fine, rows.coarse[last]!, rows.fine[last]!);
    const at = inOrder ? end : this.#searchSplit(true);
    if (this.#seen(envelope, at)) return 'duplicate';
    if (rows === NO_ROWS) this.#rows = createEnvelopeRows();
    insertEnvelope(this.#rows, at, envelope, this.#coarse, this.#fine);
    this.#grown = true;
    this.#live += 1;
    if (this.#live > this.#maxSize) {
      this.#start += rowsOf(this.#rows, this.#start);
      this.#live -= 1;
      this.#evicted += 1;
      this.#compact();
    }
    return 'added';
  }

  prune(fromNs: bigint): void {
    if (this.#horizon === undefined || fromNs > this.#horizon) this.#horizon = fromNs;
    const rows = this.#rows;
    if (this.#start === rows.key.length) return;
    const to = this.#search(fromNs, false);
    for (let i = this.#start; i < to; i += 1) if (startsEnvelope(rows, i)) this.#live -= 1;
    this.#start = to;
    if (this.#start === rows.key.length && this.#start > 0) {
      this.#rows = createEnvelopeRows(rows.interner);
      this.#start = 0;
    } else if (this.#grown) {
      this.#rows = sliceRows(rows, this.#start);
      this.#start = 0;
    } else this.#compact();
    this.#grown = false;
  }

  between(fromNs: bigint, toExclusiveNs: bigint): Envelope[] {
    const out: Envelope[] = [];
    const rows = this.#rows;
    for (let i = this.#search(fromNs, false), end = this.#search(toExclusiveNs, false); i < end; i += 1) {
      if (startsEnvelope(rows, i)) out.push(envelopeAt(rows, i));
    }
    return out;
  }

  rowsBetween(fromNs: bigint, toExclusiveNs: bigint): RowWindow {
    const rows = this.#rows;
    if (this.#start === rows.key.length) return { rows, from: this.#start, to: this.#start };
    return { rows, from: this.#search(fromNs, false), to: this.#search(toExclusiveNs, false) };
  }

  takeEvicted(): number {
    const n = this.#evicted;
    this.#evicted = 0;
    return n;
  }

  size(): number {
    return this.#live;
  }
}

export const createEnvelopeBuffer = (maxSize: number): EnvelopeBuffer => {
  if (!Number.isInteger(maxSize) || maxSize < 1)
    throw new RangeError(`envelope buffer size must be a positive integer, got ${maxSize}`);
  return new RowBuffer(maxSize);
};
