import { errorGuard } from '../../core/error-guard.ts';

/** The decision stream answered an upgrade with an HTTP error instead of a WebSocket. */
export class FeedRefusedError extends Error {
  override name = 'FeedRefusedError' as const;
  readonly code = 'FEED_REFUSED' as const;
  readonly url: string;
  readonly status: number;
  readonly body: string;

  constructor(url: string, status: number, body: string) {
    const safeUrl = new URL(url);
    safeUrl.password = '';
    super(`decision stream refused with status ${status}${body ? `: ${body}` : ''}: GET ${safeUrl.toString()}`);
    this.url = safeUrl.toString();
    this.status = status;
    this.body = body;
  }
}

export const isFeedRefusedError = errorGuard(FeedRefusedError);
