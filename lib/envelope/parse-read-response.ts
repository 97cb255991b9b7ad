import type { Envelope } from '../model/envelope.ts';
import { parseEnvelope } from './parse-envelope.ts';
import { ReadResponseError } from './read-response-error.ts';
import { isWireObject } from './wire-values.ts';

export interface ReadResponse {
  readonly envelopes: Envelope[];
  /** Envelopes that could not be read, by position in the batch; the rest of the batch is kept. */
  readonly rejected: { readonly index: number; readonly reason: string }[];
}

/**
 * Reads the body of `GET /api/v1/read/{source}` (logcache-wire.md §1.4), already JSON-decoded
 * (decode with `lib/json/bigint-json.ts` `parse` so large integers stay exact).
 *
 * A missing or null `batch` is an empty batch. One bad envelope never fails the batch: it is listed in
 * `rejected`. A body without an `envelopes` object (an error document, HTML, a bare array) throws
 * `ReadResponseError`, since treating it as "no data" would hide a peer failure.
 */
export const parseReadResponse = (body: unknown): ReadResponse => {
  if (!isWireObject(body)) throw new ReadResponseError(`expected a JSON object, got ${Array.isArray(body) ? 'an array' : body === null ? 'null' : typeof body}`);
  if (!Object.hasOwn(body, 'envelopes')) throw new ReadResponseError(`no "envelopes" field (keys: ${Object.keys(body).slice(0, 5).join(', ') || 'none'})`);
  const batchHolder = body['envelopes'];
  if (batchHolder === null) return { envelopes: [], rejected: [] };
  if (!isWireObject(batchHolder)) throw new ReadResponseError('"envelopes" is not an object');
  const batch = batchHolder['batch'];
  if (batch === undefined || batch === null) return { envelopes: [], rejected: [] };
  if (!Array.isArray(batch)) throw new ReadResponseError('"envelopes.batch" is not an array');

  const envelopes: Envelope[] = [];
  const rejected: { index: number; reason: string }[] = [];
  batch.forEach((raw: unknown, index) => {
    const result = parseEnvelope(raw);
    if (result.ok) envelopes.push(result.envelope);
    else rejected.push({ index, reason: result.reason });
  });
  return { envelopes, rejected };
};
