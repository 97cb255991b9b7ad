import type { Envelope, GaugeValue } from '../model/envelope.ts';
import type { RecordingEntry } from './parse-recording-line.ts';

/**
 * Recording entries in a compact form that crosses threads cheaply: numbers in typed arrays (moved,
 * not copied) and each distinct string or tag set sent once, then named by its index. Rebuilding an
 * envelope from it costs a few small objects, far less than decoding its JSON line again.
 */
export interface EntryBatch {
  /** The receiver forgets every string and tag set it knows before reading this batch. */
  readonly reset: boolean;
  /** Strings and tag sets first used in this batch, appended to what the receiver knows. */
  readonly strings: readonly string[];
  readonly tagSets: readonly Readonly<Record<string, string>>[];
  readonly count: number;
  readonly ints: Int32Array;
  readonly floats: Float64Array;
  readonly bigs: BigInt64Array;
  readonly reasons: readonly string[];
}

const GAUGE = 0;
const COUNTER = 1;
const TIMER = 2;
/** A log or event envelope: valid, with no message this service reads. */
const BARE = 3;
const ISSUE = 4;

/** Past these (checked between batches), both sides start their tables afresh, so a long recording cannot grow them without end. */
const MAX_STRINGS = 65_536;
const MAX_TAG_SETS = 16_384;

const grow = <T extends Int32Array | Float64Array | BigInt64Array>(array: T, needed: number, make: (n: number) => T): T => {
  if (needed <= array.length) return array;
  const next = make(Math.max(needed, array.length * 2));
  next.set(array as never);
  return next;
};

export interface EntryBatchEncoder {
  add(entry: RecordingEntry): void;
  size(): number;
  /** The entries added since the last take, as a batch; the encoder starts a new one. */
  take(): EntryBatch;
}

export const createEntryBatchEncoder = (): EntryBatchEncoder => {
  let stringIds = new Map<string, number>();
  let tagSetIds = new Map<object, number>();
  let reset = false;
  let strings: string[] = [];
  let tagSets: Readonly<Record<string, string>>[] = [];
  let reasons: string[] = [];
  let ints = new Int32Array(4096);
  let floats = new Float64Array(1024);
  let bigs = new BigInt64Array(1024);
  let intCount = 0;
  let floatCount = 0;
  let bigCount = 0;
  let count = 0;

  const forgetAll = () => {
    stringIds = new Map();
    tagSetIds = new Map();
    reset = true;
    strings = [];
    tagSets = [];
  };
  const stringId = (text: string): number => {
    let id = stringIds.get(text);
    if (id === undefined) {
      id = stringIds.size;
      stringIds.set(text, id);
      strings.push(text);
    }
    return id;
  };
  const tagSetId = (tags: Readonly<Record<string, string>>): number => {
    let id = tagSetIds.get(tags);
    if (id === undefined) {
      id = tagSetIds.size;
      tagSetIds.set(tags, id);
      tagSets.push(tags);
    }
    return id;
  };
  const int = (value: number) => {
    ints = grow(ints, intCount + 1, (n) => new Int32Array(n));
    ints[intCount++] = value;
  };
  const big = (value: bigint) => {
    bigs = grow(bigs, bigCount + 1, (n) => new BigInt64Array(n));
    bigs[bigCount++] = value;
  };
  const float = (value: number) => {
    floats = grow(floats, floatCount + 1, (n) => new Float64Array(n));
    floats[floatCount++] = value;
  };

  const addEnvelope = (line: number, envelope: Envelope) => {
    const { gauge, counter, timer } = envelope;
    int(gauge ? GAUGE : counter ? COUNTER : timer ? TIMER : BARE);
    int(line);
    int(stringId(envelope.sourceId));
    int(stringId(envelope.instanceId));
    int(tagSetId(envelope.tags));
    big(envelope.timestamp);
    if (gauge) {
      const countAt = intCount;
      int(0);
      let metrics = 0;
      for (const name of Object.keys(gauge)) {
        const metric = gauge[name]!;
        int(stringId(name));
        int(stringId(metric.unit));
        float(metric.value);
        metrics += 1;
      }
      ints[countAt] = metrics;
    } else if (counter) {
      int(stringId(counter.name));
      // Counters are uint64; the bit pattern travels in a signed slot.
      big(BigInt.asIntN(64, counter.delta));
      big(BigInt.asIntN(64, counter.total));
    } else if (timer) {
      int(stringId(timer.name));
      big(timer.start);
      big(timer.stop);
    }
  };

  return {
    add(entry) {
      count += 1;
      if (entry.ok) return addEnvelope(entry.line, entry.envelope);
      int(ISSUE);
      int(entry.line);
      reasons.push(entry.reason);
    },
    size: () => count,
    take() {
      const batch: EntryBatch = {
        reset, strings, tagSets, count, reasons,
        ints: ints.slice(0, intCount), floats: floats.slice(0, floatCount), bigs: bigs.slice(0, bigCount),
      };
      reset = false;
      strings = [];
      tagSets = [];
      reasons = [];
      intCount = floatCount = bigCount = count = 0;
      // Only between batches: the receiver resets before reading a batch, never inside one.
      if (stringIds.size > MAX_STRINGS || tagSetIds.size > MAX_TAG_SETS) forgetAll();
      return batch;
    },
  };
};

/** A gauge metric named `__proto__` must be an own property, as the parser made it, not a prototype. */
const setMetric = (gauge: Record<string, GaugeValue>, name: string, metric: GaugeValue) => {
  if (name === '__proto__') Object.defineProperty(gauge, name, { value: metric, enumerable: true, writable: true, configurable: true });
  else gauge[name] = metric;
};

export interface EntryBatchDecoder {
  /** The batch's entries in order, each rebuilt only when taken. */
  entries(batch: EntryBatch): Generator<RecordingEntry>;
}

export const createEntryBatchDecoder = (): EntryBatchDecoder => {
  let strings: string[] = [];
  let tagSets: Readonly<Record<string, string>>[] = [];
  return {
    *entries(batch) {
      if (batch.reset) {
        strings = [];
        tagSets = [];
      }
      for (const text of batch.strings) strings.push(text);
      for (const tags of batch.tagSets) tagSets.push(tags);
      const { ints, floats, bigs, reasons } = batch;
      let i = 0;
      let f = 0;
      let b = 0;
      let r = 0;
      for (let n = 0; n < batch.count; n++) {
        const kind = ints[i++]!;
        const line = ints[i++]!;
        if (kind === ISSUE) {
          yield { ok: false, line, reason: reasons[r++]! };
          continue;
        }
        const sourceId = strings[ints[i++]!]!;
        const instanceId = strings[ints[i++]!]!;
        const tags = tagSets[ints[i++]!]!;
        const timestamp = bigs[b++]!;
        let envelope: Envelope;
        if (kind === GAUGE) {
          const metrics = ints[i++]!;
          const gauge: Record<string, GaugeValue> = {};
          for (let m = 0; m < metrics; m++) {
            const name = strings[ints[i++]!]!;
            setMetric(gauge, name, { unit: strings[ints[i++]!]!, value: floats[f++]! });
          }
          envelope = { timestamp, sourceId, instanceId, tags, gauge };
        } else if (kind === COUNTER) {
          const name = strings[ints[i++]!]!;
          const delta = BigInt.asUintN(64, bigs[b++]!);
          const total = BigInt.asUintN(64, bigs[b++]!);
          envelope = { timestamp, sourceId, instanceId, tags, counter: { name, delta, total } };
        } else if (kind === TIMER) {
          const name = strings[ints[i++]!]!;
          const start = bigs[b++]!;
          const stop = bigs[b++]!;
          envelope = { timestamp, sourceId, instanceId, tags, timer: { name, start, stop } };
        } else {
          envelope = { timestamp, sourceId, instanceId, tags };
        }
        yield { ok: true, line, envelope };
      }
    },
  };
};
