import type { Envelope } from '../../core/model/envelope.ts';
import { parse as parseBigIntJson } from '../../core/json/bigint-json.ts';
import { errorText } from '../../core/error-text.ts';

/** The shape of `parseEnvelope` (lib/envelope): one decoded JSON value in, an envelope or a reason out. */
export type EnvelopeParser = (
  raw: unknown,
) => { readonly ok: true; readonly envelope: Envelope } | { readonly ok: false; readonly reason: string };

export type RecordingEntry =
  | { readonly ok: true; readonly line: number; readonly envelope: Envelope }
  | { readonly ok: false; readonly line: number; readonly reason: string };

const inexact = (value: unknown): boolean =>
  typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value);

/**
 * Whether an int64 of the envelope arrived as a bare JSON number beyond 2^53, which a plain parse has
 * already rounded. Log-cache quotes int64s, so this is rare and checking the few fields is cheaper
 * than parsing every line exactly.
 */
const lostPrecision = (raw: Record<string, unknown>): boolean => {
  if (inexact(raw['timestamp'])) return true;
  const timer = raw['timer'] as Record<string, unknown> | null | undefined;
  const counter = raw['counter'] as Record<string, unknown> | null | undefined;
  return (
    (typeof timer === 'object' && timer !== null && (inexact(timer['start']) || inexact(timer['stop']))) ||
    (typeof counter === 'object' && counter !== null && (inexact(counter['delta']) || inexact(counter['total'])))
  );
};

/** Decodes JSON keeping large bare int64s exact; quoted int64s (the log-cache form) stay strings. */
export const parseJsonLine = (text: string): unknown => {
  const raw: unknown = JSON.parse(text);
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) && lostPrecision(raw as Record<string, unknown>)
    ? parseBigIntJson(text)
    : raw;
};

const MAX_QUOTED = 120;

/**
 * One line of a recording: a single log-cache envelope object
 * (docs/anchor-compatibility.md#wire-envelope).
 */
export const parseRecordingLine = (
  text: string,
  line: number,
  parseEnvelope: EnvelopeParser,
  parseJson: (text: string) => unknown = parseJsonLine,
): RecordingEntry => {
  let raw: unknown;
  try {
    raw = parseJson(text);
  } catch (err) {
    const shown = text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text;
    return { ok: false, line, reason: `not valid JSON (${errorText(err)}): ${shown}` };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      line,
      reason: `expected one envelope object per line, got ${Array.isArray(raw) ? 'an array' : raw === null ? 'null' : typeof raw}`,
    };
  }
  if ('envelopes' in raw)
    return {
      ok: false,
      line,
      reason: 'a whole read response, not one envelope (convert it with scripts/record.ts --from-dump)',
    };
  const parsed = parseEnvelope(raw);
  return parsed.ok ? { ok: true, line, envelope: parsed.envelope } : { ok: false, line, reason: parsed.reason };
};
