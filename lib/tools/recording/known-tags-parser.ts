import { isPlainObject } from '../../core/envelope/wire-values.ts';
import { parseJsonLine } from './parse-recording-line.ts';

type JsonParser = (text: string) => unknown;

const TAGS_KEY = '"tags"';
/** Distinct tags texts kept; past it they are forgotten and learnt again. */
const MAX_KNOWN = 4096;

interface KnownTags {
  readonly text: string;
  readonly tags: object;
}

const allStrings = (tags: Readonly<Record<string, unknown>>): boolean => {
  for (const key in tags) if (typeof tags[key] !== 'string') return false;
  return true;
};

/**
 * Where a line's first `"tags"` token starts its object, when the line is simple enough to reason
 * about as text: no backslash anywhere, so every quote is a delimiter and no key is spelled with
 * escapes. Whether that token is the envelope's own tags key is settled after parsing.
 */
const tagsValueStart = (text: string): number => {
  const at = text.indexOf(TAGS_KEY);
  if (at === -1 || text.charCodeAt(at + 6) !== 0x3a || text.charCodeAt(at + 7) !== 0x7b || text.indexOf('\\') !== -1)
    return -1;
  return at + 7;
};

/**
 * Whether a `"tags"` token follows `from`. Searched as `gs"` (rare in envelope text) and checked
 * around: a search led by a quote stops at every string of the line.
 */
const tagsTokenAfter = (text: string, from: number): boolean => {
  for (let i = text.indexOf('gs"', from); i !== -1; i = text.indexOf('gs"', i + 3)) {
    if (i >= from + 3 && text.charCodeAt(i - 3) === 0x22 && text.startsWith('ta', i - 2)) return true;
  }
  return false;
};

/**
 * A number standing for a tags text, from its length and the characters that tell instances apart
 * (the first tag value, usually the app id, and the end, usually instance-specific), so that a
 * lookup compares one or two candidates, not every app's.
 */
const fingerprint = (text: string, start: number, end: number): number => {
  let hash = end - start;
  if (end - start < 48) return hash;
  for (let i = start + 10; i < start + 24; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  for (let i = end - 16; i < end; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
};

/**
 * A JSON line parser (parseJsonLine) that decodes each distinct tags object only once. The tags of
 * one instance are the same bytes in every envelope and most of each line, so a line whose tags
 * text equals one seen before is parsed with the tags replaced by `null`, and the object decoded
 * earlier is put in its place: the value JSON.parse would give (readers never change it). A number
 * as the placeholder would give the field a numeric layout in V8, and every later store a slow path.
 * Anything it cannot prove equal is parsed whole.
 */
export const createKnownTagsParser = (parseJson: JsonParser = parseJsonLine): JsonParser => {
  // By fingerprint; comparing the few texts that share one settles it.
  let known = new Map<number, KnownTags[]>();
  let knownCount = 0;

  const learn = (raw: unknown, text: string, start: number): void => {
    if (!isPlainObject(raw)) return;
    const tags = raw['tags'];
    if (!isPlainObject(tags) || !allStrings(tags)) return;
    const tagsText = JSON.stringify(tags);
    // Only text that is exactly the canonical form (no spaces, keys in decoded order) is reused.
    if (text.slice(start, start + tagsText.length) !== tagsText) return;
    if (knownCount >= MAX_KNOWN) {
      known = new Map();
      knownCount = 0;
    }
    const key = fingerprint(text, start, start + tagsText.length);
    const alike = known.get(key);
    if (alike) alike.push({ text: tagsText, tags });
    else known.set(key, [{ text: tagsText, tags }]);
    knownCount += 1;
  };

  const knownAt = (text: string, start: number): KnownTags | undefined => {
    // A flat tags object of strings ends at the first `},"` or at the line's closing `}}`.
    let end = text.indexOf('},"', start);
    if (end === -1) end = text.length - 2;
    const candidates = known.get(fingerprint(text, start, end + 1));
    if (candidates === undefined) return undefined;
    // A slice compared with === is a memory compare; startsWith walks characters one by one.
    const tagsText = text.slice(start, end + 1);
    for (const candidate of candidates) if (candidate.text === tagsText) return candidate;
    return undefined;
  };

  return (text) => {
    const start = tagsValueStart(text);
    if (start === -1) return parseJson(text);
    const hit = knownAt(text, start);
    // A later tags key would be a duplicate whose value JSON.parse keeps, so the line is parsed whole.
    if (hit && !tagsTokenAfter(text, start + hit.text.length)) {
      let raw: unknown;
      try {
        raw = parseJson(`${text.slice(0, start)}null${text.slice(start + hit.text.length)}`);
      } catch {
        // Parsed whole again, so that the error names positions in the line as written.
        return parseJson(text);
      }
      // The placeholder is the envelope's tags only if the one tags key was at the top level.
      if (isPlainObject(raw) && raw['tags'] === null) {
        // A fresh object of this parse, not yet seen by anyone: still ours to fill in.
        (raw as Record<string, unknown>)['tags'] = hit.tags;
        return raw;
      }
      return parseJson(text);
    }
    const raw = parseJson(text);
    learn(raw, text, start);
    return raw;
  };
};
