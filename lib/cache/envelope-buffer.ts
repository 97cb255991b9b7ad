import type { Envelope } from '../model/envelope.ts';
import { sameEnvelope } from './same-envelope.ts';

export type AddOutcome = 'added' | 'duplicate' | 'too-old';

/**
 * One app's envelopes in timestamp order, for windowed aggregation. Envelopes mostly arrive in
 * time order, so the common add is one comparison and a push; the sorted order also makes a
 * re-delivered envelope (overlapping log-cache reads) cheap to recognise, without a key per envelope.
 */
export interface EnvelopeBuffer {
  add(envelope: Envelope): AddOutcome;
  /** Forgets envelopes older than `fromNs` and refuses any that old from now on. */
  prune(fromNs: bigint): void;
  /** Envelopes with fromNs <= timestamp < toExclusiveNs, ascending (a new array). */
  between(fromNs: bigint, toExclusiveNs: bigint): Envelope[];
  /** How many of the oldest envelopes the size bound evicted since the last call. */
  takeEvicted(): number;
  size(): number;
}

export const createEnvelopeBuffer = (maxSize: number): EnvelopeBuffer => {
  if (!Number.isInteger(maxSize) || maxSize < 1) throw new RangeError(`envelope buffer size must be a positive integer, got ${maxSize}`);
  let items: Envelope[] = [];
  let start = 0; // items before `start` are dead; dropping the oldest only moves it
  let horizon: bigint | undefined;
  let evicted = 0;

  /** First index (absolute) whose timestamp is greater than ts, or at least ts when `strict` is false. */
  const search = (ts: bigint, strict: boolean): number => {
    let lo = start;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = items[mid]!.timestamp;
      if (t < ts || (strict && t === ts)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  /** Whether an identical envelope sits among those with the same timestamp, ending just before `end`. */
  const seen = (envelope: Envelope, end: number): boolean => {
    for (let i = end - 1; i >= start && items[i]!.timestamp === envelope.timestamp; i -= 1) {
      if (sameEnvelope(items[i]!, envelope)) return true;
    }
    return false;
  };

  const compact = (): void => {
    if (start > 1024 && start * 2 > items.length) {
      items = items.slice(start);
      start = 0;
    }
  };

  return {
    add(envelope) {
      if (horizon !== undefined && envelope.timestamp < horizon) return 'too-old';
      const last = items.length > start ? items[items.length - 1]! : undefined;
      if (last === undefined || envelope.timestamp >= last.timestamp) {
        if (seen(envelope, items.length)) return 'duplicate';
        items.push(envelope);
      } else {
        const at = search(envelope.timestamp, true);
        if (seen(envelope, at)) return 'duplicate';
        items.splice(at, 0, envelope);
      }
      if (items.length - start > maxSize) {
        start += 1;
        evicted += 1;
        compact();
      }
      return 'added';
    },

    prune(fromNs) {
      if (horizon === undefined || fromNs > horizon) horizon = fromNs;
      start = search(fromNs, false);
      if (start === items.length) { items = []; start = 0; }
      else compact();
    },

    between(fromNs, toExclusiveNs) {
      return items.slice(search(fromNs, false), search(toExclusiveNs, false));
    },

    takeEvicted() {
      const n = evicted;
      evicted = 0;
      return n;
    },

    size: () => items.length - start,
  };
};
