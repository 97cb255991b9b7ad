import type { Envelope } from '../../../../../lib/core/model/envelope.ts';
import {
  createEnvelopeRows,
  envelopeAt,
  insertEnvelope,
  rowsOf,
  sameEnvelopeAt,
  sliceRows,
  startsEnvelope,
} from '../../../../../lib/core/metrics/envelope-rows.ts';
import { sameEnvelope } from '../../../../../lib/core/metrics/same-envelope.ts';
import { coarseOf, fineOf, isBefore } from '../../../../../lib/core/metrics/split-timestamp.ts';

import type { EnvelopeBuffer } from '../../../../../lib/core/metrics/envelope-buffer.ts';

/**
 * The envelope buffer as it was before it became a class with right-sized columns: kept as the
 * reference model the buffer is checked against on random streams.
 */
// Shared by every buffer that has had nothing yet (an app's timer buffer mostly stays so); never written.
const NO_ROWS = createEnvelopeRows();

export const createClosureEnvelopeBuffer = (maxSize: number): EnvelopeBuffer => {
  if (!Number.isInteger(maxSize) || maxSize < 1)
    throw new RangeError(`envelope buffer size must be a positive integer, got ${maxSize}`);
  let rows = NO_ROWS;
  let start = 0; // rows before `start` are dead; dropping the oldest only moves it
  let live = 0; // envelopes in the live rows
  let horizon: bigint | undefined;
  let evicted = 0;
  // The envelopes of one emission share a timestamp: its split is reused.
  let lastTs: bigint | undefined;
  let coarse = 0;
  let fine = 0;
  const split = (ts: bigint): void => {
    if (ts === lastTs) return;
    lastTs = ts;
    coarse = coarseOf(ts);
    fine = fineOf(ts, coarse);
  };

  /** First row (absolute) whose timestamp is after the split one, or not before it when `strict` is false. */
  const searchSplit = (strict: boolean): number => {
    const { coarse: coarses, fine: fines } = rows;
    let lo = start;
    let hi = coarses.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = coarses[mid]!;
      const f = fines[mid]!;
      if (c < coarse || (c === coarse && (f < fine || (strict && f === fine)))) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const search = (ts: bigint, strict: boolean): number => {
    split(ts);
    return searchSplit(strict);
  };

  /** Whether an identical envelope sits among those with the split timestamp, ending just before row `end`. */
  const seen = (envelope: Envelope, end: number): boolean => {
    for (let i = end - 1; i >= start && rows.coarse[i] === coarse && rows.fine[i] === fine; i -= 1) {
      if (startsEnvelope(rows, i) && sameEnvelopeAt(rows, i, envelope, sameEnvelope)) return true;
    }
    return false;
  };

  // A dead prefix is dropped once it is as long as the rest: each row is copied at most about once.
  const compact = (): void => {
    if (start >= 32 && start * 2 >= rows.key.length) {
      rows = sliceRows(rows, start);
      start = 0;
    }
  };

  return {
    add(envelope) {
      if (horizon !== undefined && envelope.timestamp < horizon) return 'too-old';
      split(envelope.timestamp);
      const end = rows.key.length;
      const last = end - 1;
      const inOrder = end === start || !isBefore(coarse, fine, rows.coarse[last]!, rows.fine[last]!);
      const at = inOrder ? end : searchSplit(true);
      if (seen(envelope, at)) return 'duplicate';
      if (rows === NO_ROWS) rows = createEnvelopeRows();
      insertEnvelope(rows, at, envelope, coarse, fine);
      live += 1;
      if (live > maxSize) {
        start += rowsOf(rows, start);
        live -= 1;
        evicted += 1;
        compact();
      }
      return 'added';
    },

    prune(fromNs) {
      if (horizon === undefined || fromNs > horizon) horizon = fromNs;
      if (start === rows.key.length) return;
      const to = search(fromNs, false);
      for (let i = start; i < to; i += 1) if (startsEnvelope(rows, i)) live -= 1;
      start = to;
      if (start === rows.key.length && start > 0) {
        rows = createEnvelopeRows(rows.interner);
        start = 0;
      } else compact();
    },

    between(fromNs, toExclusiveNs) {
      const out: Envelope[] = [];
      for (let i = search(fromNs, false), end = search(toExclusiveNs, false); i < end; i += 1) {
        if (startsEnvelope(rows, i)) out.push(envelopeAt(rows, i));
      }
      return out;
    },

    rowsBetween(fromNs, toExclusiveNs) {
      if (start === rows.key.length) return { rows, from: start, to: start };
      return { rows, from: search(fromNs, false), to: search(toExclusiveNs, false) };
    },

    takeEvicted() {
      const n = evicted;
      evicted = 0;
      return n;
    },

    size: () => live,
  };
};
