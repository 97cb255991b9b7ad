import { WebSocket } from 'ws';
import { Observable, Subject, asyncScheduler, defer, merge, retry, throwError, timer } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import { parse } from '../../core/json/bigint-json.ts';
import { backoffSchedule } from '../../core/time/backoff.ts';
import { FeedRefusedError, isFeedRefusedError } from './feed-refused-error.ts';
import { errorText } from '../../core/error-text.ts';

export type FeedEvent =
  | { readonly type: 'open'; readonly url: string }
  | { readonly type: 'message'; readonly message: Readonly<Record<string, unknown>> }
  | { readonly type: 'malformed'; readonly text: string; readonly reason: string }
  | { readonly type: 'retry'; readonly attempt: number; readonly delayMs: number; readonly reason: string };

export interface FeedOptions {
  /** ws(s)://host:port/v1/decisions; credentials in the URL become basic auth. */
  readonly url: string;
  readonly appIds?: readonly string[];
  readonly kinds?: readonly string[];
  /** Extra request headers (Authorization, X-Forwarded-Client-Cert...). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly scheduler?: SchedulerLike;
  /** Delay before the n-th consecutive reconnect (n from 1); default 1 s doubling to 30 s. */
  readonly backoff?: (attempt: number) => number;
}

export const feedUrl = (options: Pick<FeedOptions, 'url' | 'appIds' | 'kinds'>): string => {
  const url = new URL(options.url);
  for (const id of options.appIds ?? []) url.searchParams.append('app_id', id);
  if (options.kinds && options.kinds.length > 0) url.searchParams.set('kinds', options.kinds.join(','));
  return url.toString();
};

/** One connection: events until it closes, which is always an error (so it is retried). */
const connection = (url: string, headers: Readonly<Record<string, string>>): Observable<FeedEvent> =>
  new Observable<FeedEvent>((subscriber) => {
    const ws = new WebSocket(url, { headers: { ...headers }, handshakeTimeout: 10_000 });
    ws.on('open', () => subscriber.next({ type: 'open', url }));
    ws.on('message', (data) => {
      const text = String(data);
      try {
        subscriber.next({ type: 'message', message: parse(text) as Record<string, unknown> });
      } catch (err) {
        subscriber.next({ type: 'malformed', text: text.slice(0, 200), reason: errorText(err) });
      }
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        if (body.length < 1000) body += chunk;
      });
      res.on('end', () => subscriber.error(new FeedRefusedError(url, res.statusCode ?? 0, body.trim())));
    });
    ws.on('error', (err) => subscriber.error(err));
    ws.on('close', (code, reason) =>
      subscriber.error(new Error(`connection closed (${code}${reason.length > 0 ? ` ${String(reason)}` : ''})`)),
    );
    return () => {
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
    };
  });

const defaultBackoff = backoffSchedule({ initialMs: 1000, maxMs: 30_000 });

/**
 * The decision stream as a client sees it, reconnecting with backoff for ever; a refusal the
 * server will repeat (4xx: credentials, filter) ends it with a FeedRefusedError instead.
 *
 * ```
 * server   --o-m-m-x--------------o-m--   (o open, m message, x connection lost)
 * output   --o-m-m-r--------------o-m--   (r: retry event, then the backoff delay)
 * ```
 */
export const decisionFeed = (options: FeedOptions): Observable<FeedEvent> =>
  defer(() => {
    const scheduler = options.scheduler ?? asyncScheduler;
    const backoff = options.backoff ?? defaultBackoff;
    const url = feedUrl(options);
    const retries$ = new Subject<FeedEvent>();
    const feed$ = connection(url, options.headers ?? {}).pipe(
      retry({
        // Any message (the greeting first) counts as success and resets the backoff.
        resetOnSuccess: true,
        delay: (err: Error, attempt) => {
          if (isFeedRefusedError(err) && err.status >= 400 && err.status < 500) return throwError(() => err);
          const delayMs = backoff(attempt);
          retries$.next({ type: 'retry', attempt, delayMs, reason: err.message });
          return timer(delayMs, scheduler);
        },
      }),
    );
    return merge(retries$, feed$);
  });
