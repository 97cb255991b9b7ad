import type { Envelope } from '../../core/model/envelope.ts';

export type EnvelopeKind = 'LOG' | 'COUNTER' | 'GAUGE' | 'TIMER' | 'EVENT';

export interface SourceMeta {
  readonly count: number;
  /** Envelopes evicted so far because the source was over capacity. */
  readonly expired: number;
  readonly oldestTimestamp: bigint;
  readonly newestTimestamp: bigint;
}

/**
 * The simulated log-cache's memory: per source id, envelopes ordered by their own timestamp
 * (insertion order among equal timestamps), at most `maxPerSource` each, oldest evicted first
 * (docs/anchor-compatibility.md#wire-read).
 */
export interface EnvelopeStore {
  add(...envelopes: Envelope[]): void;
  /**
   * `[start, end)` ascending (or descending), only `types` (all when empty), with gauges rewritten
   * to their metrics matching `nameFilter` and logs/events dropped when it is set
   * (docs/anchor-compatibility.md#wire-read). `limit` counts envelopes after filtering; a run of
   * equal timestamps is completed past it.
   */
  query(
    sourceId: string,
    start: bigint,
    end: bigint,
    types: ReadonlySet<EnvelopeKind>,
    nameFilter: RegExp | undefined,
    limit: number,
    descending?: boolean,
  ): Envelope[];
  meta(): ReadonlyMap<string, SourceMeta>;
  /** Envelopes of one source, or of all. */
  size(sourceId?: string): number;
  clear(): void;
}

const kindOf = (e: Envelope): EnvelopeKind => (e.gauge ? 'GAUGE' : e.timer ? 'TIMER' : e.counter ? 'COUNTER' : 'LOG');

/** First index whose timestamp is >= ts (or > ts when `after`). */
const bound = (list: readonly Envelope[], ts: bigint, after: boolean): number => {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const t = (list[mid] as Envelope).timestamp;
    if (t < ts || (after && t === ts)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

const filterEnvelope = (
  e: Envelope,
  types: ReadonlySet<EnvelopeKind>,
  nameFilter: RegExp | undefined,
): Envelope | undefined => {
  const kind = kindOf(e);
  if (types.size > 0 && !types.has(kind)) return undefined;
  if (nameFilter === undefined) return e;
  if (kind === 'GAUGE' && e.gauge) {
    const kept = Object.entries(e.gauge).filter(([name]) => nameFilter.test(name));
    if (kept.length === 0) return undefined;
    return kept.length === Object.keys(e.gauge).length ? e : { ...e, gauge: Object.fromEntries(kept) };
  }
  if (kind === 'TIMER') return nameFilter.test(e.timer?.name ?? '') ? e : undefined;
  if (kind === 'COUNTER') return nameFilter.test(e.counter?.name ?? '') ? e : undefined;
  return undefined;
};

export const createEnvelopeStore = (options: { maxPerSource?: number } = {}): EnvelopeStore => {
  const maxPerSource = options.maxPerSource ?? 100_000;
  const sources = new Map<string, Envelope[]>();
  const expired = new Map<string, number>();

  const insert = (e: Envelope): void => {
    let list = sources.get(e.sourceId);
    if (!list) sources.set(e.sourceId, (list = []));
    const last = list[list.length - 1];
    if (last === undefined || last.timestamp <= e.timestamp) list.push(e);
    else list.splice(bound(list, e.timestamp, true), 0, e);
    if (list.length > maxPerSource) {
      const over = list.length - maxPerSource;
      list.splice(0, over);
      expired.set(e.sourceId, (expired.get(e.sourceId) ?? 0) + over);
    }
  };

  return {
    add: (...envelopes) => envelopes.forEach(insert),
    query: (sourceId, start, end, types, nameFilter, limit, descending = false) => {
      const list = sources.get(sourceId) ?? [];
      const from = bound(list, start, false);
      const to = bound(list, end, false);
      const out: Envelope[] = [];
      const step = descending ? -1 : 1;
      for (let i = descending ? to - 1 : from; descending ? i >= from : i < to; i += step) {
        const e = list[i] as Envelope;
        const previous = out[out.length - 1];
        if (out.length >= limit && previous !== undefined && previous.timestamp !== e.timestamp) break;
        const kept = filterEnvelope(e, types, nameFilter);
        if (kept) out.push(kept);
      }
      return out;
    },
    meta: () =>
      new Map(
        [...sources]
          .filter(([, list]) => list.length > 0)
          .map(([id, list]) => [
            id,
            {
              count: list.length,
              expired: expired.get(id) ?? 0,
              oldestTimestamp: (list[0] as Envelope).timestamp,
              newestTimestamp: (list[list.length - 1] as Envelope).timestamp,
            },
          ]),
      ),
    size: (sourceId) =>
      sourceId === undefined
        ? [...sources.values()].reduce((n, l) => n + l.length, 0)
        : (sources.get(sourceId)?.length ?? 0),
    clear: () => {
      sources.clear();
      expired.clear();
    },
  };
};
