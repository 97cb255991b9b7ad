import { errorTextWithCauses } from '../../core/error-text.ts';

/** No answer from log-cache: connection failure or time-out, on every attempt. */
export class LogCacheTransportError extends Error {
  override readonly name = 'LogCacheTransportError' as const;
  readonly code = 'LOGCACHE_TRANSPORT' as const;
  readonly url: string;
  readonly sourceId: string | undefined;
  readonly attempts: number;
  readonly timedOut: boolean;

  constructor(context: {
    url: string;
    sourceId?: string | undefined;
    attempts: number;
    timedOut: boolean;
    timeoutMs: number;
    cause: unknown;
  }) {
    const reason = context.timedOut ? `timed out after ${context.timeoutMs} ms` : errorTextWithCauses(context.cause);
    super(
      `log-cache GET ${context.url} failed after ${context.attempts} attempt${context.attempts === 1 ? '' : 's'}: ${reason}`,
      { cause: context.cause },
    );
    this.url = context.url;
    this.sourceId = context.sourceId;
    this.attempts = context.attempts;
    this.timedOut = context.timedOut;
  }
}
