import { filter, map, pipe } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import type { Envelope } from '../model/envelope.ts';
import { parseEnvelope } from './parse-envelope.ts';

/**
 * Turns raw decoded JSON items into envelopes, dropping the ones that cannot be read after reporting
 * each with its reason. Never errors the stream: a long-lived source (the RLP stream) must survive any
 * amount of bad input.
 *
 * ```
 * source:  --a--x--b--|     (x is malformed)
 * result:  --A-----B--|     onRejected(reason, x) called at x
 * ```
 *
 * @param onRejected called once per dropped item; a reporter that throws is ignored rather than
 *   allowed to end the stream.
 */
export const parseEnvelopes = (
  onRejected: (reason: string, raw: unknown) => void,
): OperatorFunction<unknown, Envelope> =>
  pipe(
    map((raw: unknown) => {
      const result = parseEnvelope(raw);
      if (result.ok) return result.envelope;
      try {
        onRejected(result.reason, raw);
      } catch {
        // Reporting is best effort; losing one report beats losing the stream.
      }
      return undefined;
    }),
    filter((envelope): envelope is Envelope => envelope !== undefined),
  );

export { createRejectionCounter, OTHER_REASONS } from './rejection-counter.ts';
export type { RejectionCounter } from './rejection-counter.ts';
