import type { Envelope, GaugeValue } from '../../core/model/envelope.ts';
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

/** Ids in first-seen order; each value is handed over (by `takeNew`) once, in the batch that first used it. */
const createTable = <T>() => {
  const ids = new Map<T, number>();
  let fresh: T[] = [];
  return {
    id(value: T): number {
      let id = ids.get(value);
      if (id === undefined) {
        id = ids.size;
        ids.set(value, id);
        fresh.push(value);
      }
      return id;
    },
    size: () => ids.size,
    takeNew(): T[] {
      const taken = fresh;
      fresh = [];
      return taken;
    },
  };
};

type NumberArray = Int32Array | Float64Array | BigInt64Array;

/** A typed array filled from the front and grown by doubling; `take` returns the filled part and empties it. */
const createColumn = <A extends NumberArray, V extends A[number]>(make: (length: number) => A) => {
  let array = make(1024);
  let length = 0;
  const slots = () => array as unknown as V[];
  return {
    push(value: V): void {
      if (length === array.length) {
        const bigger = make(length * 2);
        bigger.set(array as never);
        array = bigger;
      }
      slots()[length++] = value;
    },
    length: () => length,
    set(index: number, value: V): void {
      slots()[index] = value;
    },
    take(): A {
      const filled = array.slice(0, length) as A;
      length = 0;
      return filled;
    },
  };
};

export interface EntryBatchEncoder {
  add(entry: RecordingEntry): void;
  size(): number;
  /** The entries added since the last take, as a batch; the encoder starts a new one. */
  take(): EntryBatch;
}

export const createEntryBatchEncoder = (): EntryBatchEncoder => {
  let strings = createTable<string>();
  let tagSets = createTable<Readonly<Record<string, string>>>();
  let reset = false;
  let reasons: string[] = [];
  const ints = createColumn<Int32Array, number>((n) => new Int32Array(n));
  const floats = createColumn<Float64Array, number>((n) => new Float64Array(n));
  const bigs = createColumn<BigInt64Array, bigint>((n) => new BigInt64Array(n));
  let count = 0;

  const addEnvelope = (line: number, envelope: Envelope) => {
    const { gauge, counter, timer } = envelope;
    ints.push(gauge ? GAUGE : counter ? COUNTER : timer ? TIMER : BARE);
    ints.push(line);
    ints.push(strings.id(envelope.sourceId));
    ints.push(strings.id(envelope.instanceId));
    ints.push(tagSets.id(envelope.tags));
    bigs.push(envelope.timestamp);
    if (gauge) {
      const countAt = ints.length();
      ints.push(0);
      let metrics = 0;
      for (const name of Object.keys(gauge)) {
        const metric = gauge[name]!;
        ints.push(strings.id(name));
        ints.push(strings.id(metric.unit));
        floats.push(metric.value);
        metrics += 1;
      }
      ints.set(countAt, metrics);
    } else if (counter) {
      ints.push(strings.id(counter.name));
      // Counters are uint64; the bit pattern travels in a signed slot.
      bigs.push(BigInt.asIntN(64, counter.delta));
      bigs.push(BigInt.asIntN(64, counter.total));
    } else if (timer) {
      ints.push(strings.id(timer.name));
      bigs.push(timer.start);
      bigs.push(timer.stop);
    }
  };

  return {
    add(entry) {
      count += 1;
      if (entry.ok) return addEnvelope(entry.line, entry.envelope);
      ints.push(ISSUE);
      ints.push(entry.line);
      reasons.push(entry.reason);
    },
    size: () => count,
    take() {
      const batch: EntryBatch = {
        reset,
        strings: strings.takeNew(),
        tagSets: tagSets.takeNew(),
        count,
        reasons,
        ints: ints.take(),
        floats: floats.take(),
        bigs: bigs.take(),
      };
      reset = false;
      reasons = [];
      count = 0;
      // Only between batches: the receiver resets before reading a batch, never inside one.
      if (strings.size() > MAX_STRINGS || tagSets.size() > MAX_TAG_SETS) {
        strings = createTable();
        tagSets = createTable();
        reset = true;
      }
      return batch;
    },
  };
};

/** A gauge metric named `__proto__` must be an own property, as the parser made it, not a prototype. */
const setMetric = (gauge: Record<string, GaugeValue>, name: string, metric: GaugeValue) => {
  if (name === '__proto__')
    Object.defineProperty(gauge, name, { value: metric, enumerable: true, writable: true, configurable: true });
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
