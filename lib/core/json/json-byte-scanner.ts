const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
/** Strings kept for sharing, at most, and the longest kept; past the count they are learnt again. */
const MAX_STRINGS = 65_536;
const MAX_STRING_LENGTH = 256;
/** Timestamps longer than this (none within int64) are converted every time. */
const MAX_STAMP_LENGTH = 32;

interface InternedText {
  readonly bytes: Buffer;
  readonly text: string;
}

/**
 * Reads the plain JSON strings, flat tags objects and timestamps of envelopes straight from their
 * UTF-8 bytes (the byte scanners' shared pieces). What a call finds besides a position (hashes,
 * high bits) stays in the scanner for its accessors, so that no object is made per call; each
 * scanner has its own, and its own strings kept.
 */
export interface JsonByteScanner {
  /**
   * The closing quote of a plain string (no escape, no control character) whose text starts at `at`,
   * or -1 when there is none before `limit`. Its hash and high bits go to stringHash and stringHigh.
   */
  stringEnd(b: Buffer, at: number, limit: number): number;
  /** A 32-bit hash of the bytes of the last string stringEnd found: equal bytes, equal hash. */
  stringHash(): number;
  /** The bits of the bytes of that string OR-ed together: 0x80 or more when one is not ASCII. */
  stringHigh(): number;
  /**
   * The text of the string b[from, to) stringEnd went over, given the hash and high bits it left
   * (those of the last string when not given): one string object per text, kept up to a bound.
   */
  text(b: Buffer, from: number, to: number, hash?: number, high?: number): string;
  /**
   * The end (after its `}`, at most `limit`) of the flat object of plain strings (`{"k":"v",…}`, no
   * spaces) whose `{` is at `at`, or -1 for anything else. Its two hashes go to tagsHash and tagsHash2.
   */
  tagsEnd(b: Buffer, at: number, limit: number): number;
  /** Two independent 32-bit hashes of the text of the last object tagsEnd found; 0 for `{}`. */
  tagsHash(): number;
  tagsHash2(): number;
  /**
   * The integer of the decimal digits b[from, to), which the caller has checked: the last one's
   * bigint again when its bytes are the same (the envelopes of one emission share a timestamp).
   */
  timestampOf(b: Buffer, from: number, to: number): bigint;
}

export const createJsonByteScanner = (): JsonByteScanner => {
  // The hash of the last string stringEnd went over, and whether it had a byte above ASCII.
  let stringHash = 0;
  let stringHigh = 0;

  const stringEnd = (b: Buffer, at: number, limit: number): number => {
    let hash = 0x811c9dc5;
    let high = 0;
    for (let i = at; i < limit; i++) {
      const c = b[i]!;
      if (c === QUOTE) {
        stringHash = hash;
        stringHigh = high;
        return i;
      }
      if (c === BACKSLASH || c < 0x20) return -1;
      hash = Math.imul(hash ^ c, 0x01000193);
      high |= c;
    }
    return -1;
  };

  // Strings met before, by the hash of their bytes: ids, names and units repeat in every envelope,
  // and one string object per text is cheaper to make once and to look up later than a copy each.
  let interned = new Map<number, InternedText[]>();
  let internedCount = 0;

  const text = (b: Buffer, from: number, to: number, hash = stringHash, high = stringHigh): string => {
    const length = to - from;
    let candidates = interned.get(hash);
    if (candidates !== undefined)
      for (const candidate of candidates) {
        const bytes = candidate.bytes;
        if (bytes.length !== length) continue;
        let i = 0;
        while (i < length && bytes[i] === b[from + i]) i++;
        if (i === length) return candidate.text;
      }
    // latin1 is a plain copy, and exact for ASCII.
    const decoded = high >= 0x80 ? b.toString('utf8', from, to) : b.toString('latin1', from, to);
    if (length <= MAX_STRING_LENGTH) {
      if (internedCount >= MAX_STRINGS) {
        interned = new Map();
        internedCount = 0;
        candidates = undefined;
      }
      const entry = { bytes: Buffer.from(b.subarray(from, to)), text: decoded };
      if (candidates === undefined) interned.set(hash, [entry]);
      else candidates.push(entry);
      internedCount += 1;
    }
    return decoded;
  };

  // The hashes of the last string tagStringEnd went over.
  let tagStringHash = 0;
  let tagStringHash2 = 0;

  /**
   * stringEnd with a second, independent hash, for the strings of a tags text, which is known by
   * its length and two hashes (a second hash of every id, name and unit would be wasted work).
   */
  const tagStringEnd = (b: Buffer, at: number, limit: number): number => {
    let hash = 0x811c9dc5;
    let hash2 = 0x9747b28c;
    for (let i = at; i < limit; i++) {
      const c = b[i]!;
      if (c === QUOTE) {
        tagStringHash = hash;
        tagStringHash2 = hash2;
        return i;
      }
      if (c === BACKSLASH || c < 0x20) return -1;
      hash = Math.imul(hash ^ c, 0x01000193);
      hash2 = Math.imul(hash2 ^ c, 0x5bd1e995);
    }
    return -1;
  };

  // The hashes of the last tags text tagsEnd went over: of its strings' hashes and lengths, in order.
  let tagsHash = 0;
  let tagsHash2 = 0;

  const tagsEnd = (b: Buffer, at: number, limit: number): number => {
    if (b[at] !== OPEN) return -1;
    let hash = 0;
    let hash2 = 0;
    let i = at + 1;
    if (i < limit && b[i] === CLOSE) {
      tagsHash = 0;
      tagsHash2 = 0;
      return i + 1;
    }
    for (;;) {
      if (b[i] !== QUOTE) return -1;
      const keyEnd = tagStringEnd(b, i + 1, limit);
      if (keyEnd === -1 || b[keyEnd + 1] !== COLON || b[keyEnd + 2] !== QUOTE) return -1;
      hash = Math.imul(hash ^ tagStringHash, 0x01000193) ^ (keyEnd - i);
      hash2 = Math.imul(hash2 ^ tagStringHash2, 0x5bd1e995) ^ (keyEnd - i);
      const valueEnd = tagStringEnd(b, keyEnd + 3, limit);
      if (valueEnd === -1) return -1;
      hash = Math.imul(hash ^ tagStringHash, 0x01000193) ^ (valueEnd - keyEnd);
      hash2 = Math.imul(hash2 ^ tagStringHash2, 0x5bd1e995) ^ (valueEnd - keyEnd);
      i = valueEnd + 1;
      if (i < limit && b[i] === CLOSE) {
        tagsHash = hash;
        tagsHash2 = hash2;
        return i + 1;
      }
      if (b[i] !== COMMA) return -1;
      i++;
    }
  };

  // The last timestamp's digits (at most 19 within int64), kept in place: a new one every few envelopes.
  const lastStampBytes = new Uint8Array(MAX_STAMP_LENGTH);
  let lastStampLength = -1;
  let lastStamp = 0n;

  const timestampOf = (b: Buffer, from: number, to: number): bigint => {
    // Compare, do not convert.
    const length = to - from;
    if (length === lastStampLength) {
      let same = true;
      for (let i = 0; i < length; i++)
        if (b[from + i] !== lastStampBytes[i]) {
          same = false;
          break;
        }
      if (same) return lastStamp;
    }
    lastStampLength = length <= MAX_STAMP_LENGTH ? length : -1;
    for (let i = 0; i < lastStampLength; i++) lastStampBytes[i] = b[from + i]!;
    lastStamp = BigInt(b.toString('latin1', from, to));
    return lastStamp;
  };

  return {
    stringEnd,
    stringHash: () => stringHash,
    stringHigh: () => stringHigh,
    text,
    tagsEnd,
    tagsHash: () => tagsHash,
    tagsHash2: () => tagsHash2,
    timestampOf,
  };
};
