import { readBodyFast } from '../../core/envelope/read-body-fast.ts';
import { parseReadResponse } from '../../core/envelope/parse-read-response.ts';
import type { EnvelopeRead } from '../../core/model/envelope.ts';
import { parse } from '../../core/json/bigint-json.ts';
import type { Logger } from '../log/logger.ts';
import type { FetchLike, TokenProvider } from '../uaa/token-provider.ts';
import { LogCacheDecodeError } from './logcache-decode-error.ts';
import { createRequester } from './logcache-request.ts';
import type { Reply, RetryPolicy } from './logcache-request.ts';
import { readAllPages } from './read-all.ts';
import { readParams } from './read-params.ts';
import type { ReadOptions } from './read-params.ts';
import { createSemaphore } from './semaphore.ts';
import { createTlsFetch } from '../tls/tls-fetch.ts';
import type { TlsFiles } from '../tls/tls-fetch.ts';
import { errorText } from '../../core/error-text.ts';

export type { ReadOptions };

export interface LogCacheClientOptions {
  /** Base URL, e.g. `https://log-cache.sys.example.com`. */
  readonly url: string;
  /** UAA token source; absent for mTLS or an open log-cache. */
  readonly auth?: TokenProvider | undefined;
  /** Per attempt, covering headers and body. */
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  /** Requests in flight at once, over every app. */
  readonly concurrency: number;
  /** Custom fetch (wins over `tls`). */
  readonly fetch?: FetchLike | undefined;
  /** Client certificate / CA files for mTLS, or skip-ssl; ignored when `fetch` is given. */
  readonly tls?: TlsFiles | undefined;
  readonly logger?: Logger | undefined;
}

export interface LogCacheClient {
  /** One page of `GET /api/v1/read/{source-id}`. */
  read(sourceId: string, options: ReadOptions): Promise<EnvelopeRead>;
  /** The whole window, paging by `start_time` (limit default 1000, the server's cap). */
  readAll(sourceId: string, options: ReadOptions): Promise<EnvelopeRead>;
  /** Instant PromQL query; resolves to the decoded Prometheus-style body. */
  promQl(query: string, time: string, signal?: AbortSignal): Promise<unknown>;
  /** `GET /api/v1/info`; undefined when the log-cache is too old to have it (404). */
  info(signal?: AbortSignal): Promise<{ version: string } | undefined>;
  /** Releases the mTLS agent, if one was created. */
  close(): Promise<void>;
}

const decodeJson = (reply: Reply, sourceId?: string): unknown => {
  try {
    return parse(reply.text);
  } catch (cause) {
    throw new LogCacheDecodeError(`not JSON (${reply.text.trim().slice(0, 80) || 'empty body'})`, {
      url: reply.url,
      sourceId,
      cause,
    });
  }
};

/**
 * Log-cache REST client (docs/anchor-compatibility.md#wire-read, #wire-promql) on ky: bounded
 * concurrency, per-attempt time-out, retries with backoff, token refresh on rejection.
 * Promise-based; pipelines get cold Observables over it from the composition root.
 */
export const createLogCacheClient = (options: LogCacheClientOptions): LogCacheClient => {
  const tls = options.fetch === undefined && options.tls !== undefined ? createTlsFetch(options.tls) : undefined;
  const request = createRequester({
    url: options.url,
    auth: options.auth,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
    semaphore: createSemaphore(options.concurrency),
    fetch: options.fetch ?? tls?.fetch,
    logger: options.logger,
  });

  const read = async (sourceId: string, readOptions: ReadOptions): Promise<EnvelopeRead> => {
    const reply = await request({
      path: `/api/v1/read/${encodeURIComponent(sourceId)}`,
      params: readParams(readOptions),
      sourceId,
      authenticated: true,
      signal: readOptions.signal,
    });
    const fast = readBodyFast(reply.text);
    if (fast !== undefined) return fast;
    const body = decodeJson(reply, sourceId);
    try {
      return parseReadResponse(body);
    } catch (cause) {
      throw new LogCacheDecodeError(errorText(cause), {
        url: reply.url,
        sourceId,
        cause,
      });
    }
  };

  return {
    read,
    readAll: (sourceId, readOptions) => readAllPages(read, sourceId, readOptions),
    promQl: async (query, time, signal) => {
      const reply = await request({
        path: '/api/v1/query',
        params: new URLSearchParams({ query, time }),
        authenticated: true,
        signal,
      });
      return decodeJson(reply);
    },
    info: async (signal) => {
      const reply = await request({
        path: '/api/v1/info',
        params: new URLSearchParams(),
        authenticated: false,
        accept: [404],
        signal,
      });
      if (reply.status === 404) return undefined;
      const body = decodeJson(reply);
      const version =
        body !== null && typeof body === 'object' ? (body as Record<string, unknown>)['version'] : undefined;
      if (typeof version !== 'string')
        throw new LogCacheDecodeError('no "version" string in the info document', { url: reply.url });
      return { version };
    },
    close: async () => {
      await tls?.close();
    },
  };
};
