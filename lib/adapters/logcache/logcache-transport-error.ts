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
    const reason = context.timedOut
      ? `timed out after ${context.timeoutMs} ms`
      : context.cause instanceof Error
        ? causeText(context.cause)
        : String(context.cause);
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

// fetch hides the useful part ("ECONNREFUSED 127.0.0.1:1") one level down.
const causeText = (e: Error): string => {
  const inner = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${e.message}${inner}`;
};
