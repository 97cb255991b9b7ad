import { readFile } from 'node:fs/promises';
import { parseReadResponse } from '../../core/envelope/parse-read-response.ts';
import { parse } from '../../core/json/bigint-json.ts';
import type { Envelope } from '../../core/model/envelope.ts';
import { encodeEnvelopeLine } from '../../core/envelope/envelope-json.ts';
import { RecordingError } from './recording-error.ts';
import { errorText } from '../../core/error-text.ts';

export interface DumpIssue {
  readonly file: string;
  /** Position in the dump's `envelopes.batch`. */
  readonly index: number;
  readonly reason: string;
}

export interface DumpConversion {
  readonly envelopes: number;
  /** Log and event envelopes: valid, but a recording keeps only what the metrics are made of. */
  readonly skipped: number;
  readonly issues: readonly DumpIssue[];
}

/**
 * Reads log-cache read responses (`{"envelopes":{"batch":[...]}}`, as `GET /api/v1/read` returns
 * them) and writes their envelopes as one recording in time order. Envelopes that cannot be read
 * are listed with their position; a file that is not a read response fails the conversion.
 */
export const convertDumps = async (
  files: readonly string[],
  write: (line: string) => Promise<void>,
): Promise<DumpConversion> => {
  const all: { envelope: Envelope; order: number }[] = [];
  const issues: DumpIssue[] = [];
  let skipped = 0;
  for (const file of files) {
    let body: unknown;
    try {
      body = parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new RecordingError(`${file}: not a JSON read response: ${errorText(err)}`, {
        path: file,
        cause: err,
      });
    }
    let response;
    try {
      response = parseReadResponse(body);
    } catch (err) {
      throw new RecordingError(`${file}: not a log-cache read response: ${errorText(err)}`, {
        path: file,
        cause: err,
      });
    }
    for (const envelope of response.envelopes) {
      if (envelope.gauge || envelope.timer || envelope.counter) all.push({ envelope, order: all.length });
      else skipped += 1;
    }
    for (const r of response.rejected) issues.push({ file, index: r.index, reason: r.reason });
  }
  // Several pages or sources merge into one time line; equal timestamps keep their dump order.
  all.sort((a, b) =>
    a.envelope.timestamp < b.envelope.timestamp
      ? -1
      : a.envelope.timestamp > b.envelope.timestamp
        ? 1
        : a.order - b.order,
  );
  for (const { envelope } of all) await write(encodeEnvelopeLine(envelope));
  return { envelopes: all.length, skipped, issues };
};
