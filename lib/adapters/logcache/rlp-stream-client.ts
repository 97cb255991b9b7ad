import { Observable } from 'rxjs';
import type { Subscriber } from 'rxjs';
import { createStreamBatchReader } from '../../core/envelope/stream-batch-reader.ts';
import { createSseParser } from '../../core/envelope/sse-events.ts';
import type { SseEvent } from '../../core/envelope/sse-events.ts';
import type { StreamItem } from '../../core/model/envelope.ts';
import type { StreamEnvelopes } from '../../core/model/ports.ts';
import { isTokenRequestError } from '../uaa/token-request-error.ts';
import type { FetchLike, TokenProvider } from '../uaa/token-provider.ts';
import { redactUrl } from '../uaa/token-url.ts';
import { errorTextWithCauses } from '../../core/error-text.ts';
import { gatewayErrorText, RlpStreamError } from './rlp-stream-error.ts';

export interface RlpStreamClientOptions {
  /** The gateway, e.g. `https://log-stream.sys.example.com` (the CC root's `log_stream` link). */
  readonly url: string;
  /** UAA token source; the gateway refuses requests without a token. */
  readonly auth?: TokenProvider | undefined;
  readonly fetch?: FetchLike | undefined;
  /** Bound on the answer's headers. */
  readonly connectTimeoutMs: number;
  /** A stream silent this long (no data, no heartbeat: the gateway sends one every 15 s) is broken. */
  readonly idleTimeoutMs: number;
  /** Envelope types asked for; `gauge` when absent. */
  readonly types?: readonly ('gauge' | 'timer' | 'counter' | 'log' | 'event')[];
  /** Bound on one event's data, in characters. */
  readonly maxEventChars?: number;
}

const UNSUBSCRIBED = 'RLP stream closed: unsubscribed';

/**
 * The RLP gateway's stream (docs/anchor-compatibility.md#wire-rlp) as `StreamEnvelopes`:
 * `GET /v2/read?source_id=…&source_id=…&gauge`, `Authorization: bearer <token>` with the scheme in
 * lowercase (the gateway strips only that spelling), read as Server-Sent Events. Heartbeats only
 * keep the idle bound from firing; `closing` is passed on; each data event's batch is parsed
 * envelope by envelope, leaving out gauge envelopes with none of the `gaugeNames` asked for. A 404
 * may be an expired token (the gateway says `not_found` for any token it refuses): the token is
 * refreshed once and the request repeated. Every other non-200 answer,
 * a network failure or a silent stream errors the Observable with an RlpStreamError; reconnecting
 * is the caller's choice.
 */
export const createRlpStreamClient = (options: RlpStreamClientOptions): { readonly stream: StreamEnvelopes } => {
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const types = options.types ?? ['gauge'];

  const open = async (
    sourceIds: readonly string[],
    gaugeNames: ReadonlySet<string> | undefined,
    signal: AbortSignal,
    out: Subscriber<StreamItem>,
  ) => {
    const query = [...sourceIds.map((id) => `source_id=${encodeURIComponent(id)}`), ...types].join('&');
    const url = `${base}/v2/read?${query}`;
    const target = `GET ${redactUrl(`${base}/v2/read`)} (${sourceIds.length} source id${sourceIds.length === 1 ? '' : 's'})`;
    let refreshedAfter: number | undefined;
    for (;;) {
      let authorization: string | undefined;
      if (options.auth) {
        try {
          authorization = await options.auth.token();
        } catch (cause) {
          const detail = isTokenRequestError(cause) ? cause.detail : errorTextWithCauses(cause);
          throw new RlpStreamError('auth', target, `not opened: failed to refresh token: ${detail}`);
        }
      }
      const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache' };
      if (authorization !== undefined) headers['authorization'] = authorization.replace(/^bearer\s+/i, 'bearer ');
      // The bound covers the answer's headers only: the signal given to fetch also ends the body.
      const connect = new AbortController();
      const connectTimer = setTimeout(() => connect.abort(), options.connectTimeoutMs);
      let response: Response;
      try {
        response = await doFetch(url, { headers, signal: AbortSignal.any([signal, connect.signal]) });
      } catch (cause) {
        if (signal.aborted) return;
        const late = connect.signal.aborted;
        throw new RlpStreamError(
          'transport',
          target,
          late ? `gave no answer within ${options.connectTimeoutMs} ms` : 'failed',
          {
            cause: late ? undefined : cause,
          },
        );
      } finally {
        clearTimeout(connectTimer);
      }
      if (response.status === 404 && authorization !== undefined && options.auth && refreshedAfter === undefined) {
        await response.body?.cancel().catch(() => undefined);
        options.auth.invalidate(authorization);
        refreshedAfter = 404;
        continue;
      }
      if (response.status !== 200) {
        const body = await response.text().catch(() => '');
        const after = refreshedAfter === undefined ? '' : ' (after a token refresh)';
        throw new RlpStreamError('status', target, `answered ${response.status}${after}: ${gatewayErrorText(body)}`, {
          status: response.status,
        });
      }
      const contentType = response.headers.get('content-type') ?? '';
      if (!contentType.startsWith('text/event-stream') || response.body === null) {
        const body = await response.text().catch(() => '');
        throw new RlpStreamError(
          'not-a-stream',
          target,
          `answered 200 with ${contentType || 'no content type'}, not an event stream: ${gatewayErrorText(body)}`,
        );
      }
      out.next({ kind: 'open' });
      await readEvents(response.body, gaugeNames, signal, target, out);
      return;
    }
  };

  const readEvents = async (
    body: ReadableStream<Uint8Array>,
    gaugeNames: ReadonlySet<string> | undefined,
    signal: AbortSignal,
    target: string,
    out: Subscriber<StreamItem>,
  ): Promise<void> => {
    const parser = createSseParser({ maxEventChars: options.maxEventChars });
    // One per stream: what it shares (ids, tag sets) is that of the stream's own sources.
    const readBatch = createStreamBatchReader();
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let idle: NodeJS.Timeout | undefined;
    let silent = false;
    const arm = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        silent = true;
        void reader.cancel().catch(() => undefined);
      }, options.idleTimeoutMs);
    };
    const onAbort = (): void => void reader.cancel().catch(() => undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    const dispatch = (event: SseEvent): void => {
      if (event.event === 'message') {
        const batch = readBatch(event.data, gaugeNames);
        out.next(typeof batch === 'string' ? { kind: 'malformed', reason: batch } : { kind: 'batch', ...batch });
      } else if (event.event === 'closing') out.next({ kind: 'closing', reason: event.data });
      // heartbeat and names the gateway does not send: nothing to do beyond re-arming the idle bound.
    };
    try {
      arm();
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (cause) {
          if (signal.aborted) return;
          throw new RlpStreamError('transport', target, 'broke', { cause });
        }
        if (silent)
          throw new RlpStreamError(
            'idle',
            target,
            `sent nothing, not even a heartbeat, for ${options.idleTimeoutMs} ms`,
          );
        if (chunk.done || signal.aborted) break;
        arm();
        const { events, oversized } = parser.push(chunk.value);
        for (const reason of oversized) out.next({ kind: 'malformed', reason });
        for (const event of events) {
          if (out.closed) return;
          dispatch(event);
        }
      }
      parser.end();
    } finally {
      clearTimeout(idle);
      signal.removeEventListener('abort', onAbort);
    }
  };

  return {
    stream: (sourceIds, streamOptions) =>
      new Observable<StreamItem>((subscriber) => {
        const controller = new AbortController();
        open(sourceIds, streamOptions?.gaugeNames, controller.signal, subscriber).then(
          () => subscriber.complete(),
          (err: unknown) => subscriber.error(err),
        );
        return () => controller.abort(new Error(UNSUBSCRIBED));
      }),
  };
};
