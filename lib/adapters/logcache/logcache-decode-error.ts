/** Log-cache answered 200 with a body that is not what the endpoint returns. */
export class LogCacheDecodeError extends Error {
  override readonly name = 'LogCacheDecodeError' as const;
  readonly code = 'LOGCACHE_DECODE' as const;
  readonly url: string;
  readonly sourceId: string | undefined;

  constructor(reason: string, context: { url: string; sourceId?: string | undefined; cause?: unknown }) {
    super(`log-cache GET ${context.url} returned an unreadable body: ${reason}`, { cause: context.cause });
    this.url = context.url;
    this.sourceId = context.sourceId;
  }
}
