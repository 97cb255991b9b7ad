import type { Envelope, EnvelopeRead } from '../model/envelope.ts';
import { errorText } from '../error-text.ts';
import { parse } from '../json/bigint-json.ts';
import { envelopeOrReason } from './parse-envelope.ts';
import { isWireObject } from './wire-values.ts';

/**
 * Reads the data of one RLP gateway stream event, `{"batch":[<envelope>, …]}`
 * (docs/anchor-compatibility.md#wire-rlp), as text. The envelopes it can read come back with the
 * ones it cannot listed by position, as a log-cache read does; data that is not such a batch at
 * all (not JSON, no `batch` array) comes back as a reason, so the caller reports it and keeps the
 * stream. Never throws.
 */
export const parseStreamBatch = (data: string): EnvelopeRead | string => {
  let body: unknown;
  try {
    body = parse(data);
  } catch (err) {
    return `stream data is not JSON (${errorText(err)}): ${preview(data)}`;
  }
  if (!isWireObject(body)) return `stream data is not a JSON object: ${preview(data)}`;
  const batch = body['batch'];
  if (batch === undefined || batch === null) return { envelopes: [], rejected: [] };
  if (!Array.isArray(batch)) return `stream data has no "batch" array: ${preview(data)}`;
  const envelopes: Envelope[] = [];
  const rejected: { index: number; reason: string }[] = [];
  for (let index = 0; index < batch.length; index += 1) {
    const read = envelopeOrReason(batch[index]);
    if (typeof read === 'string') rejected.push({ index, reason: read });
    else envelopes.push(read);
  }
  return { envelopes, rejected };
};

const preview = (data: string): string => JSON.stringify(data.length > 80 ? `${data.slice(0, 80)}…` : data);
