import { createJsonByteScanner } from '../../core/json/json-byte-scanner.ts';
import { createJsonNumberReader } from '../../core/json/json-number-reader.ts';
import type { Envelope, GaugeValue } from '../../core/model/envelope.ts';
import { parseRecordingLine } from './parse-recording-line.ts';
import type { EnvelopeParser, RecordingEntry } from './parse-recording-line.ts';

type Tags = Envelope['tags'];

/**
 * Reads one recording line from its bytes, as parseRecordingLine reads its text (same envelope,
 * same reason), without decoding most of it: a blank line gives undefined.
 */
export interface LineScanner {
  (bytes: Buffer, start: number, end: number, line: number): RecordingEntry | undefined;
  /**
   * Reads the line that starts at `start` when it is of the shape the fast path reads, finding its
   * end on the way (it must end in a newline before `limit`; see `probedEnd`): the same entry the
   * scanner gives for that line, with its end given. Null for any other line, having counted or
   * changed nothing a later call could see: then find its end and scan it. Saves searching every
   * line for its newline: every byte of a line the fast path reads has been checked already.
   */
  probe(bytes: Buffer, start: number, limit: number, line: number): RecordingEntry | null;
  /**
   * Probes as `probe` does, but writes the envelope of a line it reads to `columns` instead of
   * making it: true when it did (its end is then given by `probedEnd`), false for any other line,
   * and for one `columns` has no room for: then scan it.
   */
  probeInto(bytes: Buffer, start: number, limit: number, line: number, columns: EnvelopeColumns): boolean;
  /** Where the line the last successful probe read ends (its newline). */
  probedEnd(): number;
  /** Lines handed to the full parser so far. */
  fallbacks(): number;
}

/**
 * Where probeInto writes the envelopes it reads, field by field: no object is made per line. Its
 * timestamps and int64s are within int64 and its gauge metric names are never `__proto__` or repeated.
 */
export interface EnvelopeColumns {
  /** A gauge envelope begins; its metrics follow, then gaugeEnd, or gaugeDropped. False: no room for it. */
  gaugeStart(timestamp: bigint, sourceId: string, instanceId: string, tags: Tags): boolean;
  /** False when there is no room for it: the gauge is then dropped, as if never begun. */
  metric(name: string, unit: string, value: number): boolean;
  gaugeEnd(): void;
  /** The gauge begun is not to be written after all (its line is one the fast path does not read). */
  gaugeDropped(): void;
  /** False when there is no room for it. */
  timer(
    timestamp: bigint,
    sourceId: string,
    instanceId: string,
    tags: Tags,
    name: string,
    start: bigint,
    stop: bigint,
  ): boolean;
  counter(
    timestamp: bigint,
    sourceId: string,
    instanceId: string,
    tags: Tags,
    name: string,
    delta: bigint,
    total: bigint,
  ): boolean;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const CLOSE = 0x7d;
const ZERO = 0x30;
const NINE = 0x39;

const bytesOf = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));
const TIMESTAMP = bytesOf('{"timestamp":"');
const SOURCE_ID = bytesOf('","source_id":"');
const INSTANCE_ID = bytesOf('","instance_id":"');
const TAGS = bytesOf('","deprecated_tags":{},"tags":');
const GAUGE = bytesOf(',"gauge":{"metrics":{');
const TIMER = bytesOf(',"timer":{"name":"');
const COUNTER = bytesOf(',"counter":{"name":"');
const UNIT = bytesOf('":{"unit":"');
const VALUE = bytesOf('","value":');
const START = bytesOf('","start":"');
const STOP = bytesOf('","stop":"');
const DELTA = bytesOf('","delta":"');
const TOTAL = bytesOf('","total":"');
const END_GAUGE = bytesOf('}}}');
const END_QUOTED = bytesOf('"}}');
const NEWLINE = 0x0a;
/** What the fast path gives, while probing, for a line it cannot read. */
const MISS: RecordingEntry = { ok: false, line: -1, reason: 'not read while probing' };
/** What the fast path gives, while probing into columns, for a line it has written there. */
const WRITTEN: RecordingEntry = {
  ok: true,
  line: -1,
  envelope: { timestamp: 0n, sourceId: '', instanceId: '', tags: {} },
};
const INT64_MAX = bytesOf('9223372036854775807');

/** The tags object text of one instance, and the tags the full parser made of it. */
interface KnownTags {
  readonly bytes: Buffer;
  readonly tags: Readonly<Record<string, string>>;
}

/** Distinct tags texts remembered; past it they are forgotten and learnt again. */
const MAX_KNOWN_TAGS = 16_384;
const TEXTS_PER_INSTANCE = 8;

/** The same keys in the same order with the same values: the tags object is that of its text alone. */
const sameTags = (parsed: Record<string, unknown>, tags: Readonly<Record<string, string>>): boolean => {
  const keys = Object.keys(parsed);
  const other = Object.keys(tags);
  if (keys.length !== other.length || keys.includes('__proto__')) return false;
  for (let i = 0; i < keys.length; i++) if (keys[i] !== other[i] || parsed[keys[i]!] !== tags[keys[i]!]) return false;
  return true;
};

/**
 * A line scanner (see LineScanner) for the shape every recording of this project has, the form
 * log-cache serves: `{"timestamp":"…","source_id":"…","instance_id":"…","deprecated_tags":{},
 * "tags":{…},` then one gauge, timer or counter, keys in that order, no spaces, int64s quoted.
 * It extracts only what an envelope holds, from the bytes: the tags (most of each line) are
 * compared, not parsed, with the tags text seen before for the instance; numbers and short
 * strings are read in place. Anything else (another key order, spaces, escapes, a tags text not
 * seen before, a log, a bad line) is decoded and handed to parseRecordingLine, whose answer is
 * the definition the scanner must match; a property test holds it to that.
 */
export const createLineScanner = (parseEnvelope: EnvelopeParser): LineScanner => {
  // By source and instance: the few tags texts each has (container gauges, custom metrics and each
  // side of an http timer carry different ones).
  const known = new Map<string, KnownTags[]>();
  let knownCount = 0;
  let last: KnownTags | undefined;
  const names: string[] = [];
  const { stringEnd, stringHash, stringHigh, text, tagsEnd, timestampOf } = createJsonByteScanner();

  const matches = (b: Buffer, at: number, literal: Uint8Array): boolean => {
    if (at + literal.length > b.length) return false;
    for (let i = 0; i < literal.length; i++) if (b[at + i] !== literal[i]) return false;
    return true;
  };

  /** The end of a quoted unsigned decimal within int64 (so within uint64 too), no leading zero. */
  const digitsEnd = (b: Buffer, at: number, limit: number): number => {
    let i = at;
    while (i < limit && b[i]! >= ZERO && b[i]! <= NINE) i++;
    const n = i - at;
    if (n === 0 || n > INT64_MAX.length || (n > 1 && b[at] === ZERO) || b[i] !== QUOTE) return -1;
    if (n === INT64_MAX.length)
      for (let j = 0; j < n; j++) {
        if (b[at + j]! < INT64_MAX[j]!) break;
        if (b[at + j]! > INT64_MAX[j]!) return -1;
      }
    return i;
  };

  const numbers = createJsonNumberReader();

  // While probing, `end` is only a limit, a line the fast path cannot read is a MISS, and the end
  // of one it reads is left in `probeEnd`.
  let probing = false;
  let probeEnd = -1;
  // Where the envelopes go instead of being made, while probing into columns.
  let into: EnvelopeColumns | undefined;
  /** Whether a line whose fast-path reading stops before `at` ends there. */
  const endsAt = (b: Buffer, at: number, end: number): boolean => {
    if (!probing) return at === end;
    if (b[at] !== NEWLINE) return false;
    probeEnd = at;
    return true;
  };

  let fallbacks = 0;
  const fallback = (b: Buffer, start: number, end: number, line: number): RecordingEntry | undefined => {
    if (probing) return MISS;
    fallbacks += 1;
    const lineText = b.toString('utf8', start, end);
    if (lineText.trim().length === 0) return undefined;
    return parseRecordingLine(lineText, line, parseEnvelope);
  };

  /** A gauge line the fast path cannot read after all: what it began writing is dropped. */
  const gaugeMiss = (b: Buffer, start: number, end: number, line: number): RecordingEntry | undefined => {
    into?.gaugeDropped();
    return fallback(b, start, end, line);
  };

  /** Parses a line whose tags text is new, and remembers that text with the tags made of it. */
  const learn = (
    b: Buffer,
    start: number,
    end: number,
    line: number,
    tagsAt: number,
    key: string,
  ): RecordingEntry | undefined => {
    const entry = fallback(b, start, end, line);
    if (!entry?.ok) return entry;
    const tagsStop = tagsEnd(b, tagsAt, end);
    // Learnt only when the line's one tags key is this text (a later duplicate key would win).
    if (
      tagsStop === -1 ||
      !(matches(b, tagsStop, GAUGE) || matches(b, tagsStop, TIMER) || matches(b, tagsStop, COUNTER))
    )
      return entry;
    const tagsText = b.toString('utf8', tagsAt, tagsStop);
    if (!sameTags(JSON.parse(tagsText) as Record<string, unknown>, entry.envelope.tags)) return entry;
    if (knownCount >= MAX_KNOWN_TAGS) {
      known.clear();
      knownCount = 0;
    }
    last = { bytes: Buffer.from(b.subarray(tagsAt, tagsStop)), tags: entry.envelope.tags };
    const texts = known.get(key);
    if (texts === undefined) known.set(key, [last]);
    else {
      if (texts.length >= TEXTS_PER_INSTANCE) texts.shift();
      texts.push(last);
    }
    knownCount += 1;
    return entry;
  };

  const sameBytes = (b: Buffer, at: number, limit: number, candidate: KnownTags | undefined): boolean =>
    candidate !== undefined &&
    at + candidate.bytes.length <= limit &&
    b.compare(candidate.bytes, 0, candidate.bytes.length, at, at + candidate.bytes.length) === 0;

  /** The metrics of a gauge line from `at` (after `"metrics":{`) to its end, or a fallback. */
  const gaugeLine = (
    b: Buffer,
    start: number,
    end: number,
    line: number,
    from: number,
    head: Omit<Envelope, 'gauge'>,
  ): RecordingEntry | undefined => {
    let at = from;
    const columns = into;
    if (columns !== undefined && !columns.gaugeStart(head.timestamp, head.sourceId, head.instanceId, head.tags))
      return MISS;
    const gauge: Record<string, GaugeValue> | undefined = columns === undefined ? {} : undefined;
    names.length = 0;
    for (;;) {
      if (b[at] !== QUOTE) return gaugeMiss(b, start, end, line);
      const nameTo = stringEnd(b, at + 1, end);
      if (nameTo === -1 || !matches(b, nameTo, UNIT)) return gaugeMiss(b, start, end, line);
      const name = text(b, at + 1, nameTo);
      // A repeated name (the last one wins in JSON) or `__proto__` are the full parser's business.
      if (name === '__proto__' || names.includes(name)) return gaugeMiss(b, start, end, line);
      names.push(name);
      const unitFrom = nameTo + UNIT.length;
      const unitTo = stringEnd(b, unitFrom, end);
      if (unitTo === -1 || !matches(b, unitTo, VALUE)) return gaugeMiss(b, start, end, line);
      const unit = text(b, unitFrom, unitTo);
      const value = numbers.read(b, unitTo + VALUE.length, end);
      if (value === undefined || b[numbers.end] !== CLOSE) return gaugeMiss(b, start, end, line);
      if (gauge !== undefined) gauge[name] = { unit, value };
      // Dropped by the columns themselves.
      else if (!columns!.metric(name, unit, value)) return MISS;
      at = numbers.end + 1;
      if (b[at] === COMMA) {
        at++;
        continue;
      }
      if (!matches(b, at, END_GAUGE) || !endsAt(b, at + END_GAUGE.length, end)) return gaugeMiss(b, start, end, line);
      if (gauge === undefined) {
        columns!.gaugeEnd();
        return WRITTEN;
      }
      const envelope: Envelope = { ...head, gauge };
      return { ok: true, line, envelope };
    }
  };

  // The envelopes of one emission differ only after `"metrics":{` (log-cache sends one per
  // metric): the last gauge line's bytes up to there, and what they said.
  // Copied into a buffer kept from line to line (one a second, for every instance of every app).
  let prefix = Buffer.alloc(1024);
  let prefixLength = -1;
  let prefixHead: Omit<Envelope, 'gauge'> | undefined;

  const scan = (b: Buffer, start: number, end: number, line: number): RecordingEntry | undefined => {
    if (
      prefixLength >= 0 &&
      start + prefixLength < end &&
      b.compare(prefix, 0, prefixLength, start, start + prefixLength) === 0
    )
      return gaugeLine(b, start, end, line, start + prefixLength, prefixHead!);
    if (!matches(b, start, TIMESTAMP)) return fallback(b, start, end, line);
    const stampFrom = start + TIMESTAMP.length;
    const stampTo = digitsEnd(b, stampFrom, end);
    if (stampTo === -1 || !matches(b, stampTo, SOURCE_ID)) return fallback(b, start, end, line);
    const sourceFrom = stampTo + SOURCE_ID.length;
    const sourceTo = stringEnd(b, sourceFrom, end);
    if (sourceTo <= sourceFrom || !matches(b, sourceTo, INSTANCE_ID)) return fallback(b, start, end, line);
    const sourceHash = stringHash();
    const sourceHigh = stringHigh();
    const instanceFrom = sourceTo + INSTANCE_ID.length;
    const instanceTo = stringEnd(b, instanceFrom, end);
    if (instanceTo === -1 || !matches(b, instanceTo, TAGS)) return fallback(b, start, end, line);
    const tagsAt = instanceTo + TAGS.length;

    const sourceId = text(b, sourceFrom, sourceTo, sourceHash, sourceHigh);
    const instanceId = text(b, instanceFrom, instanceTo);
    let tagsInfo = last;
    if (!sameBytes(b, tagsAt, end, tagsInfo)) {
      const key = `${sourceId}\u0000${instanceId}`;
      tagsInfo = known.get(key)?.find((candidate) => sameBytes(b, tagsAt, end, candidate));
      if (tagsInfo === undefined) return learn(b, start, end, line, tagsAt, key);
      last = tagsInfo;
    }
    const tags = tagsInfo!.tags;
    const at = tagsAt + tagsInfo!.bytes.length;
    const timestamp = timestampOf(b, stampFrom, stampTo);

    if (matches(b, at, GAUGE)) {
      const head = { timestamp, sourceId, instanceId, tags };
      const entry = gaugeLine(b, start, end, line, at + GAUGE.length, head);
      if (entry?.ok) {
        prefixLength = at + GAUGE.length - start;
        if (prefixLength > prefix.length) prefix = Buffer.alloc(Math.max(prefixLength, prefix.length * 2));
        b.copy(prefix, 0, start, start + prefixLength);
        prefixHead = head;
      }
      return entry;
    }
    const timer = matches(b, at, TIMER);
    if (timer || matches(b, at, COUNTER)) {
      const nameFrom = at + (timer ? TIMER.length : COUNTER.length);
      const nameTo = stringEnd(b, nameFrom, end);
      if (nameTo === -1 || !matches(b, nameTo, timer ? START : DELTA)) return fallback(b, start, end, line);
      const name = text(b, nameFrom, nameTo);
      const firstAt = nameTo + (timer ? START.length : DELTA.length);
      const firstTo = digitsEnd(b, firstAt, end);
      if (firstTo === -1 || !matches(b, firstTo, timer ? STOP : TOTAL)) return fallback(b, start, end, line);
      const secondAt = firstTo + (timer ? STOP.length : TOTAL.length);
      const secondTo = digitsEnd(b, secondAt, end);
      if (secondTo === -1 || !matches(b, secondTo, END_QUOTED) || !endsAt(b, secondTo + END_QUOTED.length, end))
        return fallback(b, start, end, line);
      const first = BigInt(b.toString('latin1', firstAt, firstTo));
      const second = BigInt(b.toString('latin1', secondAt, secondTo));
      if (into !== undefined)
        return (
          timer
            ? into.timer(timestamp, sourceId, instanceId, tags, name, first, second)
            : into.counter(timestamp, sourceId, instanceId, tags, name, first, second)
        )
          ? WRITTEN
          : MISS;
      const envelope: Envelope = timer
        ? { timestamp, sourceId, instanceId, tags, timer: { name, start: first, stop: second } }
        : { timestamp, sourceId, instanceId, tags, counter: { name, delta: first, total: second } };
      return { ok: true, line, envelope };
    }
    return fallback(b, start, end, line);
  };
  const probe = (b: Buffer, start: number, limit: number, line: number): RecordingEntry | null => {
    probing = true;
    try {
      const entry = scan(b, start, limit, line);
      return entry === MISS || entry === undefined ? null : entry;
    } finally {
      probing = false;
    }
  };
  const probeInto = (b: Buffer, start: number, limit: number, line: number, columns: EnvelopeColumns): boolean => {
    into = columns;
    try {
      return probe(b, start, limit, line) === WRITTEN;
    } finally {
      into = undefined;
    }
  };
  return Object.assign(scan, { probe, probeInto, probedEnd: () => probeEnd, fallbacks: () => fallbacks });
};
