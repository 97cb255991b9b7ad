/** Log-cache answered with a status we do not accept (after any retries). */
export class LogCacheStatusError extends Error {
  override readonly name = 'LogCacheStatusError' as const;
  readonly code = 'LOGCACHE_STATUS' as const;
  readonly status: number;
  /** Request URL without credentials. */
  readonly url: string;
  readonly sourceId: string | undefined;
  /** The start of the response body (log-cache explains 4xx/5xx in it). */
  readonly body: string;
  readonly attempts: number;

  constructor(context: { status: number; url: string; sourceId?: string | undefined; body: string; attempts: number }) {
    const body = context.body.trim().slice(0, 300);
    super(
      `unexpected status code ${context.status} from log-cache GET ${context.url}${context.attempts > 1 ? ` after ${context.attempts} attempts` : ''}${body ? `: ${body}` : ''}`,
    );
    this.status = context.status;
    this.url = context.url;
    this.sourceId = context.sourceId;
    this.body = body;
    this.attempts = context.attempts;
  }
}
