import type { Envelope, EnvelopeRead } from '../model/envelope.ts';
import { envelopeOrReason } from './parse-envelope.ts';
import { ReadResponseError } from './read-response-error.ts';
import { isWireObject } from './wire-values.ts';

/**
 * Reads the body of `GET /api/v1/read/{source}` (docs/anchor-compatibility.md#wire-read), already
 * JSON-decoded (decode with `lib/core/json/bigint-json.ts` `parse` so large integers stay exact).
 *
 * A missing or null `batch` is an empty batch. One bad envelope never fails the batch: it is listed in
 * `rejected`. A body without an `envelopes` object (an error document, HTML, a bare array) throws
 * `ReadResponseError`, since treating it as "no data" would hide a peer failure.
 */
export const parseReadResponse = (body: unknown): EnvelopeRead => {
  if (!isWireObject(body))
    throw new ReadResponseError(
      `expected a JSON object, got ${Array.isArray(body) ? 'an array' : body === null ? 'null' : typeof body}`,
    );
  if (!Object.hasOwn(body, 'envelopes'))
    throw new ReadResponseError(`no "envelopes" field (keys: ${Object.keys(body).slice(0, 5).join(', ') || 'none'})`);
  const batchHolder = body['envelopes'];
  if (batchHolder === null) return { envelopes: [], rejected: [] };
  if (!isWireObject(batchHolder)) throw new ReadResponseError('"envelopes" is not an object');
  const batch = batchHolder['batch'];
  if (batch === undefined || batch === null) return { envelopes: [], rejected: [] };
  if (!Array.isArray(batch)) throw new ReadResponseError('"envelopes.batch" is not an array');

  const envelopes: Envelope[] = [];
  const rejected: { index: number; reason: string }[] = [];
  for (let index = 0; index < batch.length; index += 1) {
    const raw: unknown = batch[index];
    if (raw === undefined && !(index in batch)) continue; // a hole is no envelope, as forEach has it
    const read = envelopeOrReason(raw);
    if (typeof read === 'string') rejected.push({ index, reason: read });
    else envelopes.push(read);
  }
  return { envelopes, rejected };
};
