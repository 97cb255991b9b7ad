import { mayHoldLongInteger } from '../json/bigint-json.ts';
import type { EnvelopeRead } from '../model/envelope.ts';
import { parseReadResponse } from './parse-read-response.ts';

/**
 * The envelopes of a log-cache read body by plain `JSON.parse`, or undefined when the int64-exact
 * decoder (`bigint-json` `parse`) must read it. On this wire int64 values are strings and bare
 * numbers are doubles, so plain parsing gives the same envelopes without the exact decoder's scan
 * of the whole body for long integer literals (a fifth of JSON.parse's own time on read bodies).
 * The two can differ only where a bare integer literal beyond 2^53 lost digits: in an int64 field
 * the envelope is then refused (a number past 2^53), in a double field it is the same double. So
 * the result stands when nothing was refused, or when the body has no such literal; otherwise, and
 * on any error, the exact decoder reads the body (a spec compares the two on random bodies).
 */
export const readBodyFast = (text: string): EnvelopeRead | undefined => {
  let read: EnvelopeRead;
  try {
    read = parseReadResponse(JSON.parse(text));
  } catch {
    return undefined;
  }
  return read.rejected.length === 0 || !mayHoldLongInteger(text) ? read : undefined;
};
