import { createJsonByteScanner } from '../json/json-byte-scanner.ts';
import { createJsonNumberReader } from '../json/json-number-reader.ts';
import type { Envelope, EnvelopeRead, GaugeValue } from '../model/envelope.ts';
import { parse } from '../json/bigint-json.ts';
import { envelopeOrReason, sharedTags } from './parse-envelope.ts';
import { parseStreamBatch } from './parse-stream-batch.ts';

/**
 * Reads the data of one RLP gateway stream event as parseStreamBatch does (same envelopes, same
 * rejections at the same batch positions, the same reason for data that is no batch), except that
 * a gauge envelope none of whose metrics is in `keep` is left out: neither read nor rejected.
 * `keep` absent keeps every envelope.
 */
export type StreamBatchReader = (data: string, keep?: ReadonlySet<string>) => EnvelopeRead | string;

type Tags = Readonly<Record<string, string>>;

interface TagsEntry {
  readonly instanceId: string;
  /** Length and two hashes of the tags text it was made from. */
  readonly length: number;
  readonly hash: number;
  readonly hash2: number;
  readonly tags: Tags;
}

const bytesOf = (text: string): Buffer => Buffer.from(text, 'latin1');
const HEAD = bytesOf('{"batch":[');
const TIMESTAMP = bytesOf('{"timestamp":"');
const SOURCE_ID = bytesOf('","source_id":"');
const INSTANCE_ID = bytesOf('","instance_id":"');
const DEPRECATED_TAGS = bytesOf('","deprecated_tags":{}');
const TAGS = bytesOf(',"tags":{');
const GAUGE = bytesOf(',"gauge":{"metrics":{');
const UNIT = bytesOf('":{"unit":"');
const VALUE = bytesOf('","value":');
const END_GAUGE = bytesOf('}}}');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const ZERO = 0x30;
const NINE = 0x39;
const INT64_MAX = bytesOf('9223372036854775807');

/** Tag sets kept for sharing, at most; past it they are learnt again. */
const MAX_TAG_SETS = 65_536;
const TAG_SETS_PER_SOURCE = 8;
/** The largest buffer kept for the bytes of a batch (larger ones get one of their own). */
const MAX_SCRATCH = 4 * 1024 * 1024;

const wanted = (envelope: Envelope, keep: ReadonlySet<string> | undefined): boolean => {
  if (keep === undefined || envelope.gauge === undefined) return true;
  for (const name in envelope.gauge) if (keep.has(name)) return true;
  return false;
};

/** parseStreamBatch, leaving out what `keep` does not ask for. */
const whole = (data: string, keep: ReadonlySet<string> | undefined): EnvelopeRead | string => {
  const read = parseStreamBatch(data);
  if (typeof read === 'string' || keep === undefined) return read;
  return { envelopes: read.envelopes.filter((e) => wanted(e, keep)), rejected: read.rejected };
};

/**
 * A StreamBatchReader for a stream's data events. It scans the UTF-8 bytes of the shape the
 * gateway writes (the envelope encoding of log-cache: snake_case keys in declaration order, int64
 * as strings, no spaces, one gauge per envelope), as lib/tools/recording/line-scanner.ts scans a
 * recording line, and builds an envelope only for what it keeps: the gateway sends every gauge of
 * an instance, and about half of them (cpu entitlement, container age) serve no rule. Ids, names
 * and units are shared strings; an instance's tags are one object, found again by the length and
 * two 32-bit hashes of their text (computed while checking it) instead of being rebuilt. Anything
 * else (another key order, escapes, timers, an envelope it cannot read) goes to the general reader
 * envelope by envelope, and data that is not a well-formed batch to parseStreamBatch whole, whose
 * answers are the definition it must match.
 */
export const createStreamBatchReader = (): StreamBatchReader => {
  let scratch = Buffer.alloc(64 * 1024);
  let tagSets = new Map<string, TagsEntry[]>();
  let tagSetCount = 0;
  const names: string[] = [];
  const nameEnds: number[] = [];
  const { stringEnd, stringHash, stringHigh, text, tagsEnd, tagsHash, tagsHash2, timestampOf } =
    createJsonByteScanner();

  const matches = (b: Buffer, at: number, literal: Buffer): boolean => {
    if (at + literal.length > b.length) return false;
    for (let i = 0; i < literal.length; i++) if (b[at + i] !== literal[i]) return false;
    return true;
  };

  // Where the last tags text tagsEnd went over is in the current batch.
  let lastTagsFrom = -1;
  let lastTagsTo = -1;

  /** The shared tags of an instance for the tags text b[from, to), made from it when new. */
  const tagsOf = (b: Buffer, sourceId: string, instanceId: string, from: number, to: number): TagsEntry | undefined => {
    const length = to - from;
    const hash = tagsHash();
    const hash2 = tagsHash2();
    let entries = tagSets.get(sourceId);
    if (entries !== undefined)
      for (const entry of entries)
        if (entry.length === length && entry.hash === hash && entry.hash2 === hash2 && entry.instanceId === instanceId)
          return entry;
    const parsed = JSON.parse(b.toString('utf8', from, to)) as Record<string, unknown>;
    // `__proto__` is the general reader's business; the slot is the one reads of the instance get.
    if (Object.hasOwn(parsed, '__proto__')) return undefined;
    const slot = sharedTags.share(sourceId, instanceId, parsed);
    if (slot === undefined) return undefined;
    const entry: TagsEntry = {
      instanceId: slot.instanceId,
      length,
      hash,
      hash2,
      tags: slot.tags,
    };
    if (tagSetCount >= MAX_TAG_SETS) {
      tagSets = new Map();
      tagSetCount = 0;
      entries = undefined;
    }
    if (entries === undefined) tagSets.set(sourceId, (entries = []));
    // Past the bound the oldest set of the source goes: an instance's tags rarely change.
    if (entries.length >= TAG_SETS_PER_SOURCE) entries.shift();
    else tagSetCount += 1;
    entries.push(entry);
    return entry;
  };

  /** The end of a quoted unsigned decimal within int64 at `at`, or -1. */
  const digitsEnd = (b: Buffer, at: number, limit: number): number => {
    let i = at;
    while (i < limit && b[i]! >= ZERO && b[i]! <= NINE) i++;
    const n = i - at;
    if (n === 0 || n > INT64_MAX.length || b[i] !== QUOTE) return -1;
    if (n === INT64_MAX.length)
      for (let j = 0; j < n; j++) {
        if (b[at + j]! < INT64_MAX[j]!) break;
        if (b[at + j]! > INT64_MAX[j]!) return -1;
      }
    return i;
  };

  const numbers = createJsonNumberReader();

  // The outcome of `fast` for an envelope it read and left out, and for one it cannot read.
  const SKIPPED = 1;
  const DECLINED = 2;
  let fastEnd = 0;

  /** The gauge envelope whose `{` is at `at`, its end left in `fastEnd`: SKIPPED when `keep` has none of its metrics. */
  const fast = (
    b: Buffer,
    at: number,
    end: number,
    keep: ReadonlySet<string> | undefined,
  ): Envelope | typeof SKIPPED | typeof DECLINED => {
    if (!matches(b, at, TIMESTAMP)) return DECLINED;
    const stampFrom = at + TIMESTAMP.length;
    const stampTo = digitsEnd(b, stampFrom, end);
    if (stampTo === -1 || !matches(b, stampTo, SOURCE_ID)) return DECLINED;
    const sourceFrom = stampTo + SOURCE_ID.length;
    const sourceTo = stringEnd(b, sourceFrom, end);
    if (sourceTo <= sourceFrom || !matches(b, sourceTo, INSTANCE_ID)) return DECLINED;
    const sourceHash = stringHash();
    const sourceHigh = stringHigh();
    const instanceFrom = sourceTo + INSTANCE_ID.length;
    const instanceTo = stringEnd(b, instanceFrom, end);
    if (instanceTo === -1) return DECLINED;
    const instanceHash = stringHash();
    const instanceHigh = stringHigh();
    let i = instanceTo + 1;
    if (matches(b, instanceTo, DEPRECATED_TAGS)) i = instanceTo + DEPRECATED_TAGS.length;
    let tagsFrom = -1;
    let tagsTo = -1;
    if (matches(b, i, TAGS)) {
      tagsFrom = i + TAGS.length - 1;
      // The envelopes of one emission follow each other with the same tags: the same bytes as the
      // last tags checked in this batch are checked, and the scanner still holds their hashes.
      const length = lastTagsTo - lastTagsFrom;
      if (
        lastTagsFrom !== -1 &&
        tagsFrom + length <= end &&
        b.compare(b, lastTagsFrom, lastTagsTo, tagsFrom, tagsFrom + length) === 0
      )
        tagsTo = tagsFrom + length;
      else {
        tagsTo = tagsEnd(b, tagsFrom, end);
        if (tagsTo === -1) return DECLINED;
        lastTagsFrom = tagsFrom;
        lastTagsTo = tagsTo;
      }
      i = tagsTo;
    }
    if (!matches(b, i, GAUGE)) return DECLINED;
    i += GAUGE.length;
    // The metrics: checked first, built only when one of them is kept.
    names.length = 0;
    nameEnds.length = 0;
    let kept = keep === undefined;
    if (b[i] !== CLOSE)
      for (;;) {
        if (b[i] !== QUOTE) return DECLINED;
        const nameTo = stringEnd(b, i + 1, end);
        if (nameTo === -1 || !matches(b, nameTo, UNIT)) return DECLINED;
        const name = text(b, i + 1, nameTo);
        // A repeated name (the last one wins in JSON) or `__proto__` are the general reader's business.
        if (name === '__proto__' || names.includes(name)) return DECLINED;
        names.push(name);
        nameEnds.push(nameTo);
        if (!kept && keep!.has(name)) kept = true;
        const unitTo = stringEnd(b, nameTo + UNIT.length, end);
        if (unitTo === -1 || !matches(b, unitTo, VALUE)) return DECLINED;
        if (numbers.read(b, unitTo + VALUE.length, end) === undefined || b[numbers.end] !== CLOSE) return DECLINED;
        i = numbers.end + 1;
        if (b[i] !== COMMA) break;
        i++;
      }
    if (!matches(b, i, END_GAUGE)) return DECLINED;
    fastEnd = i + END_GAUGE.length;
    if (!kept) return SKIPPED;

    const sourceId = text(b, sourceFrom, sourceTo, sourceHash, sourceHigh);
    let instanceId = text(b, instanceFrom, instanceTo, instanceHash, instanceHigh);
    let tags: Tags = {};
    if (tagsFrom !== -1) {
      const entry = tagsOf(b, sourceId, instanceId, tagsFrom, tagsTo);
      if (entry === undefined) return DECLINED;
      tags = entry.tags;
      instanceId = entry.instanceId;
    }
    const timestamp = timestampOf(b, stampFrom, stampTo);
    // Built from what was checked above.
    const gauge: Record<string, GaugeValue> = {};
    for (let n = 0; n < names.length; n++) {
      const unitFrom = nameEnds[n]! + UNIT.length;
      const unitTo = stringEnd(b, unitFrom, end);
      const unit = text(b, unitFrom, unitTo);
      gauge[names[n]!] = { unit, value: numbers.read(b, unitTo + VALUE.length, end)! };
    }
    return { timestamp, sourceId, instanceId, tags, gauge };
  };

  /** The end of the JSON value at `at` (brackets matched, strings skipped), or -1; JSON.parse judges the rest. */
  const valueEnd = (b: Buffer, at: number, end: number): number => {
    let depth = 0;
    for (let i = at; i < end; i++) {
      const c = b[i];
      if (c === QUOTE) {
        for (i++; i < end && b[i] !== QUOTE; i++) if (b[i] === BACKSLASH) i++;
        if (i >= end) return -1;
      } else if (c === OPEN || c === OPEN_ARRAY) depth++;
      else if (c === CLOSE || c === CLOSE_ARRAY) {
        if (depth === 0) return i;
        depth--;
        if (depth === 0) return i + 1;
      } else if (depth === 0 && c === COMMA) return i;
    }
    return -1;
  };

  return (data, keep) => {
    // At most 3 bytes per UTF-16 unit; a buffer of common batches is kept from batch to batch.
    let b = scratch;
    if (b.length < data.length * 3) {
      if (data.length * 3 <= MAX_SCRATCH) b = scratch = Buffer.alloc(Math.max(data.length * 3, scratch.length * 2));
      else b = Buffer.allocUnsafe(data.length * 3);
    }
    const size = b.write(data, 0, 'utf8');
    // A lone surrogate would be written as U+FFFD, which JSON.parse does not make of it.
    if (size !== data.length && !data.isWellFormed()) return whole(data, keep);
    // `]}` closes the batch: the envelopes end before it.
    const last = size - 2;
    if (last < HEAD.length || !matches(b, 0, HEAD) || b[last] !== CLOSE_ARRAY || b[last + 1] !== CLOSE)
      return whole(data, keep);
    const envelopes: Envelope[] = [];
    const rejected: { index: number; reason: string }[] = [];
    lastTagsFrom = -1;
    let at = HEAD.length;
    if (at === last) return { envelopes, rejected };
    for (let index = 0; ; index += 1) {
      const read = b[at] === OPEN ? fast(b, at, last, keep) : DECLINED;
      if (read === DECLINED) {
        const end = valueEnd(b, at, last);
        if (end <= at) return whole(data, keep);
        let raw: unknown;
        try {
          // In brackets, as in the batch: a long bare integer reads as a bigint there too.
          raw = (parse(`[${b.toString('utf8', at, end)}]`) as unknown[])[0];
        } catch {
          // Not JSON, so neither is the batch: parseStreamBatch says why.
          return whole(data, keep);
        }
        const general = envelopeOrReason(raw);
        if (typeof general === 'string') rejected.push({ index, reason: general });
        else if (wanted(general, keep)) envelopes.push(general);
        at = end;
      } else {
        if (read !== SKIPPED) envelopes.push(read);
        at = fastEnd;
      }
      if (at === last) return { envelopes, rejected };
      if (b[at] !== COMMA) return whole(data, keep);
      at += 1;
    }
  };
};
