import type { Envelope, GaugeValue } from '../core/model/envelope.ts';
import type { EnvelopeColumns } from '../tools/recording/line-scanner.ts';

/**
 * A recording's lines, scanned on one thread and aggregated on another, cross between them as
 * batches of columns in buffers both threads share (a few, taken in turn): structured-cloning an
 * envelope object per line cost more than scanning it, and transferring the buffers of each batch
 * cost a good part of that again. Strings and tags objects go once each, in a dictionary sent along with the
 * batch that first names them, and are then referred to by number; timestamps and int64s stay
 * exact (BigInt64Array). The scanner writes most envelopes into the columns field by field as it
 * reads them (EnvelopeColumns), making no object per line. What the columns do not hold (a log or
 * event envelope, a uint64 beyond int64, a gauge named `__proto__`) travels as the envelope
 * itself, in order.
 */

/** Where a batch's entries go, in recording order. */
export interface BatchSink {
  envelope(envelope: Envelope): void;
  /** A bad line; its reason only when it is to be shown. */
  issue(line: number, reason: string | undefined): void;
}

/** The record kinds; NEW_STAMP is set on the first record of a new timestamp. */
const GAUGE = 0;
const TIMER = 1;
const COUNTER = 2;
const WHOLE = 3;
const ISSUE = 4;
const NEW_STAMP = 0x80;

/** What one batch message carries: which buffers it is on, and the rest (cloned). */
export interface EnvelopeBatch {
  readonly kind: 'batch';
  /** The index of its buffers. */
  readonly buffers: number;
  readonly records: number;
  /** The dictionary starts again from nothing before this batch's additions. */
  readonly reset: boolean;
  readonly strings: readonly string[];
  readonly tags: readonly Readonly<Record<string, string>>[];
  /** Whole envelopes and issues ([line, reason or null]), in order. */
  readonly extras: readonly (Envelope | readonly [number, string | null])[];
  /** Compressed bytes of the file read so far. */
  readonly bytesRead: number;
}

/** The columns of a batch, on shared memory. */
export interface BatchBuffers {
  readonly kinds: Uint8Array;
  /** Source, instance and tags of each envelope record, by dictionary number. */
  readonly ids: Int32Array;
  /** Gauge records: how many metrics; timer and counter records: the name's number. */
  readonly counts: Int32Array;
  /** Name and unit of each gauge metric. */
  readonly names: Int32Array;
  readonly values: Float64Array;
  readonly stamps: BigInt64Array;
  /** Timer start and stop, or counter delta and total. */
  readonly pairs: BigInt64Array;
}

/** Records a batch holds at most: a message between threads cost a few tenths of a millisecond of CPU, however small. */
export const BATCH_RECORDS = 32_768;
/** Gauge metrics a batch holds at most (log-cache's combined form has a dozen per envelope). */
export const BATCH_METRICS = 131_072;
const MAX_DICTIONARY = 65_536;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const shared = (bytes: number): SharedArrayBuffer => new SharedArrayBuffer(bytes);

export const createBatchBuffers = (): BatchBuffers => ({
  kinds: new Uint8Array(shared(BATCH_RECORDS)),
  ids: new Int32Array(shared(BATCH_RECORDS * 3 * 4)),
  counts: new Int32Array(shared(BATCH_RECORDS * 4)),
  names: new Int32Array(shared(BATCH_METRICS * 2 * 4)),
  values: new Float64Array(shared(BATCH_METRICS * 8)),
  stamps: new BigInt64Array(shared(BATCH_RECORDS * 8)),
  pairs: new BigInt64Array(shared(BATCH_RECORDS * 2 * 8)),
});

const inInt64 = (n: bigint): boolean => n >= INT64_MIN && n <= INT64_MAX;

/** Envelopes go into a batch whole (`envelope`) or field by field, as the scanner reads them. */
export interface BatchEncoder extends EnvelopeColumns {
  envelope(envelope: Envelope): void;
  /** A bad line; its reason only when it is to be shown. */
  issue(line: number, reason: string | undefined): void;
  records(): number;
  /** Whether the batch under way has no room for another record, or has `records` already. */
  full(records?: number): boolean;
  /** The batch so far (its buffers then belong to its reader until handed back); the next one goes on buffers `next`. */
  take(bytesRead: number, next: number | undefined): EnvelopeBatch;
}

export const createBatchEncoder = (sets: readonly BatchBuffers[], first: number): BatchEncoder => {
  let current = first;
  let b = sets[first]!;
  let records = 0;
  let metrics = 0;
  let stampCount = 0;
  let pairCount = 0;
  let lastStamp: bigint | undefined;
  const strings = new Map<string, number>();
  // A metric name comes with the same unit almost always: both numbers found with one lookup.
  const metricIds = new Map<string, { readonly nameId: number; readonly unit: string; readonly unitId: number }>();
  const tagsIds = new Map<object, number>();
  let newStrings: string[] = [];
  let newTags: Readonly<Record<string, string>>[] = [];
  let extras: (Envelope | readonly [number, string | null])[] = [];
  let reset = false;

  const stringId = (s: string): number => {
    let id = strings.get(s);
    if (id === undefined) {
      id = strings.size;
      strings.set(s, id);
      newStrings.push(s);
    }
    return id;
  };
  const tagsId = (tags: Readonly<Record<string, string>>): number => {
    let id = tagsIds.get(tags);
    if (id === undefined) {
      id = tagsIds.size;
      tagsIds.set(tags, id);
      newTags.push(tags);
    }
    return id;
  };
  const stamp = (kind: number, timestamp: bigint): number => {
    if (timestamp === lastStamp) return kind;
    lastStamp = timestamp;
    b.stamps[stampCount++] = timestamp;
    return kind | NEW_STAMP;
  };
  // Runs of envelopes share source, instance and tags (the very same objects, from the scanner):
  // the last ones' numbers are kept, and found again without a lookup.
  let lastSource: string | undefined;
  let lastSourceId = 0;
  let lastInstance: string | undefined;
  let lastInstanceId = 0;
  let lastTags: object | undefined;
  let lastTagsId = 0;
  const head = (sourceId: string, instanceId: string, tags: Envelope['tags']): void => {
    const at = records * 3;
    if (sourceId !== lastSource) {
      lastSource = sourceId;
      lastSourceId = stringId(sourceId);
    }
    if (instanceId !== lastInstance) {
      lastInstance = instanceId;
      lastInstanceId = stringId(instanceId);
    }
    if (tags !== lastTags) {
      lastTags = tags;
      lastTagsId = tagsId(tags);
    }
    b.ids[at] = lastSourceId;
    b.ids[at + 1] = lastInstanceId;
    b.ids[at + 2] = lastTagsId;
  };
  /** The numbers of the name and unit of the gauge metric at `metrics`. */
  const metricAt = (name: string, unit: string): void => {
    let metric = metricIds.get(name);
    if (metric === undefined || metric.unit !== unit) {
      metric = { nameId: stringId(name), unit, unitId: stringId(unit) };
      metricIds.set(name, metric);
    }
    b.names[metrics * 2] = metric.nameId;
    b.names[metrics * 2 + 1] = metric.unitId;
  };
  const pairRecord = (
    kind: number,
    timestamp: bigint,
    sourceId: string,
    instanceId: string,
    tags: Envelope['tags'],
    name: string,
    first: bigint,
    second: bigint,
  ): true => {
    head(sourceId, instanceId, tags);
    b.counts[records] = stringId(name);
    b.pairs[pairCount++] = first;
    b.pairs[pairCount++] = second;
    b.kinds[records] = stamp(kind, timestamp);
    records += 1;
    return true;
  };
  // The gauge being written field by field (see gaugeStart).
  let gaugeFrom = 0;
  let gaugeStamp = 0n;
  let gaugeSource = '';
  let gaugeInstance = '';
  let gaugeTags: Envelope['tags'] = {};
  const whole = (envelope: Envelope): void => {
    b.kinds[records++] = WHOLE;
    extras.push(envelope);
  };

  return {
    full: (limit = BATCH_RECORDS) => records >= limit || metrics >= BATCH_METRICS,
    envelope(envelope) {
      const { gauge, timer, counter } = envelope;
      if (!inInt64(envelope.timestamp)) return whole(envelope);
      if (gauge !== undefined && timer === undefined && counter === undefined) {
        const from = metrics;
        for (const name in gauge) {
          if (name === '__proto__' || !Object.hasOwn(gauge, name) || metrics >= BATCH_METRICS) {
            metrics = from;
            return whole(envelope);
          }
          const { unit, value } = gauge[name]!;
          metricAt(name, unit);
          b.values[metrics++] = value;
        }
        head(envelope.sourceId, envelope.instanceId, envelope.tags);
        b.counts[records] = metrics - from;
        b.kinds[records] = stamp(GAUGE, envelope.timestamp);
        records += 1;
        return;
      }
      const pair =
        timer !== undefined && gauge === undefined && counter === undefined
          ? ([TIMER, timer.name, timer.start, timer.stop] as const)
          : counter !== undefined && gauge === undefined && timer === undefined
            ? ([COUNTER, counter.name, counter.delta, counter.total] as const)
            : undefined;
      if (pair === undefined || !inInt64(pair[2]) || !inInt64(pair[3])) return whole(envelope);
      pairRecord(
        pair[0],
        envelope.timestamp,
        envelope.sourceId,
        envelope.instanceId,
        envelope.tags,
        pair[1],
        pair[2],
        pair[3],
      );
    },
    gaugeStart(timestamp, sourceId, instanceId, tags) {
      if (!inInt64(timestamp)) return false;
      gaugeFrom = metrics;
      gaugeStamp = timestamp;
      gaugeSource = sourceId;
      gaugeInstance = instanceId;
      gaugeTags = tags;
      return true;
    },
    metric(name, unit, value) {
      if (name === '__proto__' || metrics >= BATCH_METRICS) {
        metrics = gaugeFrom;
        return false;
      }
      metricAt(name, unit);
      b.values[metrics++] = value;
      return true;
    },
    gaugeEnd() {
      head(gaugeSource, gaugeInstance, gaugeTags);
      b.counts[records] = metrics - gaugeFrom;
      b.kinds[records] = stamp(GAUGE, gaugeStamp);
      records += 1;
    },
    gaugeDropped() {
      metrics = gaugeFrom;
    },
    timer: (timestamp, sourceId, instanceId, tags, name, start, stop) =>
      inInt64(timestamp) &&
      inInt64(start) &&
      inInt64(stop) &&
      pairRecord(TIMER, timestamp, sourceId, instanceId, tags, name, start, stop),
    counter: (timestamp, sourceId, instanceId, tags, name, delta, total) =>
      inInt64(timestamp) &&
      inInt64(delta) &&
      inInt64(total) &&
      pairRecord(COUNTER, timestamp, sourceId, instanceId, tags, name, delta, total),
    issue(line, reason) {
      b.kinds[records++] = ISSUE;
      extras.push([line, reason ?? null]);
    },
    records: () => records,
    take(bytesRead, next) {
      const batch: EnvelopeBatch = {
        kind: 'batch',
        buffers: current,
        records,
        reset,
        strings: newStrings,
        tags: newTags,
        extras,
        bytesRead,
      };
      if (next !== undefined) {
        current = next;
        b = sets[next]!;
      }
      records = 0;
      metrics = 0;
      stampCount = 0;
      pairCount = 0;
      // A timestamp is repeated only within a batch: the next one starts with it sent again.
      lastStamp = undefined;
      newStrings = [];
      newTags = [];
      extras = [];
      reset = false;
      // Bounded however many distinct strings or tags objects a recording has.
      if (strings.size > MAX_DICTIONARY || tagsIds.size > MAX_DICTIONARY) {
        strings.clear();
        metricIds.clear();
        tagsIds.clear();
        lastSource = undefined;
        lastInstance = undefined;
        lastTags = undefined;
        reset = true;
      }
      return batch;
    },
  };
};

export interface BatchDecoder {
  /** The entries of a batch, in order, to `sink` (which may throw to stop). */
  decode(batch: EnvelopeBatch, sink: BatchSink): void;
}

export const createBatchDecoder = (sets: readonly BatchBuffers[]): BatchDecoder => {
  let strings: string[] = [];
  let tags: Readonly<Record<string, string>>[] = [];
  return {
    decode(batch, sink) {
      if (batch.reset) {
        strings = [];
        tags = [];
      }
      for (const s of batch.strings) strings.push(s);
      for (const t of batch.tags) tags.push(t);
      const { kinds, ids, counts, names, values, stamps, pairs } = sets[batch.buffers]!;
      const { extras } = batch;
      let metric = 0;
      let stampAt = 0;
      let pairAt = 0;
      let extraAt = 0;
      let timestamp = 0n;
      for (let i = 0; i < batch.records; i++) {
        const k = kinds[i]!;
        const kind = k & ~NEW_STAMP;
        if (kind === WHOLE) sink.envelope(extras[extraAt++] as Envelope);
        else if (kind === ISSUE) {
          const [line, reason] = extras[extraAt++] as readonly [number, string | null];
          sink.issue(line, reason ?? undefined);
        } else {
          if ((k & NEW_STAMP) !== 0) timestamp = stamps[stampAt++]!;
          const sourceId = strings[ids[i * 3]!]!;
          const instanceId = strings[ids[i * 3 + 1]!]!;
          const envelopeTags = tags[ids[i * 3 + 2]!]!;
          let envelope: Envelope;
          if (kind === GAUGE) {
            const gauge: Record<string, GaugeValue> = {};
            for (const end = metric + counts[i]!; metric < end; metric++)
              gauge[strings[names[metric * 2]!]!] = { unit: strings[names[metric * 2 + 1]!]!, value: values[metric]! };
            envelope = { timestamp, sourceId, instanceId, tags: envelopeTags, gauge };
          } else {
            const name = strings[counts[i]!]!;
            const first = pairs[pairAt++]!;
            const second = pairs[pairAt++]!;
            envelope =
              kind === TIMER
                ? { timestamp, sourceId, instanceId, tags: envelopeTags, timer: { name, start: first, stop: second } }
                : {
                    timestamp,
                    sourceId,
                    instanceId,
                    tags: envelopeTags,
                    counter: { name, delta: first, total: second },
                  };
          }
          sink.envelope(envelope);
        }
      }
    },
  };
};
