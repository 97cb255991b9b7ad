import { errorGuard } from '../error-guard.ts';

/**
 * A log-cache read answered 200 with a body that is not a read response
 * (`{"envelopes":{"batch":[...]}}`). It is a peer failure: the poll fails and nothing is emitted.
 */
export class ReadResponseError extends Error {
  override name = 'ReadResponseError' as const;
  readonly code = 'EREADRESPONSE' as const;

  constructor(message: string, options?: ErrorOptions) {
    super(`log-cache read response is malformed: ${message}`, options);
  }
}

export const isReadResponseError = errorGuard(ReadResponseError);
