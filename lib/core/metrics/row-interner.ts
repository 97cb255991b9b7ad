import type { Envelope } from '../model/envelope.ts';
import { sameTags } from './same-tags.ts';

type Tags = Readonly<Record<string, string>>;

/** Who sent a row: shared by the rows of one instance with equal tags. */
export interface RowIdentity {
  readonly sourceId: string;
  readonly instanceId: string;
  readonly tags: Tags;
  /** The keys made for this identity so far (at most a few: one per metric of the instance). */
  readonly keys: RowKey[];
}

/**
 * Everything about a row but its timestamp and value: who sent it, which gauge metric it holds and
 * where it sits in its envelope. Shared by all rows that agree on these.
 */
export interface RowKey {
  readonly identity: RowIdentity;
  /** Whether the row holds a gauge metric: not for an empty gauge or an envelope without a gauge. */
  readonly hasMetric: boolean;
  readonly name: string;
  readonly unit: string;
  /** The container gauge slot of `name` (`containerSlotOf`), or -1. */
  readonly slot: number;
  /**
   * On an envelope's first row: its number of gauge metrics when it is a pure gauge (0 for an empty
   * gauge), else the envelope itself, kept whole so that it comes back as it came in. On later rows
   * of an envelope: `CONTINUATION`.
   */
  readonly info: number | Envelope;
}

/** `info` of a row that continues the envelope above it (its second gauge metric or later). */
export const CONTINUATION = -1;

/**
 * One buffer's identities and keys, each kept once. An app has a few instances and a few gauge
 * names, so short lists are enough; past `size` identities (or keys per identity) the oldest entry
 * is replaced: rows keep what they point to, so replacing only costs sharing.
 */
export interface RowInterner {
  identity(sourceId: string, instanceId: string, tags: Tags): RowIdentity;
  /** A key of `identity`; `info` an envelope makes a key of its own, never shared. */
  key(
    identity: RowIdentity,
    hasMetric: boolean,
    name: string,
    unit: string,
    info: number | Envelope,
    slotOf: (name: string) => number,
  ): RowKey;
}

/** Puts `item` in a bounded list: appended while there is room, else over the entry at `next`. */
const keep = <T>(list: T[], item: T, size: number, next: number): number => {
  if (list.length < size) {
    list.push(item);
    return next;
  }
  list[next] = item;
  return (next + 1) % size;
};

export const createRowInterner = (size = 32): RowInterner => new Interner(size);

/** A class, not a closure: every monitored app's buffer has one, and they share their methods. */
class Interner implements RowInterner {
  readonly #size: number;
  readonly #identities: RowIdentity[] = [];
  #nextIdentity = 0;
  // Consecutive envelopes are mostly of one instance and carry one shared tags object; `lastTags` is
  // the incoming object last found equal to `lastIdentity.tags`.
  #lastIdentity: RowIdentity | undefined;
  #lastTags: Tags | undefined;

  constructor(size: number) {
    this.#size = size;
  }

  #findIdentity(sourceId: string, instanceId: string, tags: Tags): RowIdentity | undefined {
    for (const known of this.#identities)
      if (known.tags === tags && known.instanceId === instanceId && known.sourceId === sourceId) return known;
    for (const known of this.#identities)
      if (known.instanceId === instanceId && known.sourceId === sourceId && sameTags(known.tags, tags)) return known;
    return undefined;
  }

  identity(sourceId: string, instanceId: string, tags: Tags): RowIdentity {
    const last = this.#lastIdentity;
    if (
      last !== undefined &&
      (last.tags === tags || this.#lastTags === tags) &&
      last.instanceId === instanceId &&
      last.sourceId === sourceId
    )
      return last;
    let found = this.#findIdentity(sourceId, instanceId, tags);
    if (found === undefined) {
      found = { sourceId, instanceId, tags, keys: [] };
      this.#nextIdentity = keep(this.#identities, found, this.#size, this.#nextIdentity);
    }
    this.#lastIdentity = found;
    this.#lastTags = tags;
    return found;
  }

  key(
    identity: RowIdentity,
    hasMetric: boolean,
    name: string,
    unit: string,
    info: number | Envelope,
    slotOf: (name: string) => number,
  ): RowKey {
    const { keys } = identity;
    if (typeof info === 'number') {
      for (const known of keys)
        if (known.name === name && known.unit === unit && known.info === info && known.hasMetric === hasMetric)
          return known;
    }
    const made: RowKey = { identity, hasMetric, name, unit, slot: hasMetric ? slotOf(name) : -1, info };
    if (typeof info === 'number') {
      // The slot to replace next is not tracked per identity: replacing the first is good enough.
      if (keys.length < this.#size) keys.push(made);
      else keys[0] = made;
    }
    return made;
  }
}
