/**
 * No usable token for log-cache. The message keeps the anchor's wording: `failed to refresh token: …`
 * before a request, `failed to refresh token after 401: …` (or 404) when a rejected token could not
 * be replaced.
 */
export class LogCacheAuthError extends Error {
  override readonly name = 'LogCacheAuthError' as const;
  readonly code = 'LOGCACHE_AUTH' as const;
  readonly url: string;
  readonly sourceId: string | undefined;
  /** The log-cache status that rejected the previous token, if any. */
  readonly rejectedStatus: number | undefined;

  constructor(
    message: string,
    context: { url: string; sourceId?: string | undefined; rejectedStatus?: number | undefined; cause: unknown },
  ) {
    super(message, { cause: context.cause });
    this.url = context.url;
    this.sourceId = context.sourceId;
    this.rejectedStatus = context.rejectedStatus;
  }
}
