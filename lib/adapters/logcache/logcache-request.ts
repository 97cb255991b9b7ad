import ky from 'ky';
import type { Logger } from '../log/logger.ts';
import type { FetchLike, TokenProvider } from '../uaa/token-provider.ts';
import { isTokenRequestError } from '../uaa/token-request-error.ts';
import { redactUrl } from '../uaa/token-url.ts';
import { backoffMs } from '../../core/time/backoff.ts';
import type { Backoff } from '../../core/time/backoff.ts';
import { sleep } from './sleep.ts';
import { errorTextWithCauses } from '../../core/error-text.ts';
import { LogCacheAuthError } from './logcache-auth-error.ts';
import { LogCacheStatusError } from './logcache-status-error.ts';
import { LogCacheTransportError } from './logcache-transport-error.ts';
import type { Semaphore } from './semaphore.ts';

/** Retries for 5xx, network errors and time-outs, with exponential back-off between them. */
export interface RetryPolicy extends Backoff {
  /** Retries after the first attempt. */
  readonly limit: number;
}

export interface RequestSpec {
  /** Path under the base URL, starting with `/`. */
  readonly path: string;
  readonly params: URLSearchParams;
  readonly sourceId?: string | undefined;
  /** Send the token (every endpoint except `/api/v1/info`, which log-cache serves without auth). */
  readonly authenticated: boolean;
  /** Non-2xx statuses returned to the caller instead of thrown (e.g. 404 from `info`). */
  readonly accept?: readonly number[];
  readonly signal?: AbortSignal | undefined;
}

export interface Reply {
  readonly status: number;
  readonly text: string;
  /** Without credentials, for errors and logs. */
  readonly url: string;
}

export interface RequesterOptions {
  readonly url: string;
  readonly auth?: TokenProvider | undefined;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly semaphore: Semaphore;
  readonly fetch?: FetchLike | undefined;
  readonly logger?: Logger | undefined;
}

type Attempt =
  | { readonly ok: true; readonly status: number; readonly text: string }
  | { readonly ok: false; readonly timedOut: boolean; readonly error: unknown };

/**
 * One logical GET against log-cache: a semaphore slot per attempt (released while backing off, so a
 * failing app does not hold slots others need), a time-out covering headers and body, exponential
 * backoff for 5xx / network / time-out, and one token refresh when log-cache rejects the token.
 * log-cache's auth proxy answers an expired token with 404, not 401
 * (docs/anchor-compatibility.md#wire-auth-proxy).
 */
export const createRequester = (options: RequesterOptions) => {
  const base = options.url.replace(/\/+$/, '');
  const http = ky.create({
    retry: 0,
    timeout: false,
    throwHttpErrors: false,
    fetch: options.fetch,
  });
  const log = options.logger;

  const attempt = (url: string, authorization: string | undefined, signal: AbortSignal | undefined): Promise<Attempt> =>
    options.semaphore.run(async () => {
      const timeout = AbortSignal.timeout(options.timeoutMs);
      try {
        const response = await http.get(url, {
          headers: authorization === undefined ? {} : { authorization },
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        return { ok: true, status: response.status, text: await response.text() };
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        return { ok: false, timedOut: timeout.aborted, error };
      }
    }, signal);

  return async (spec: RequestSpec): Promise<Reply> => {
    const query = spec.params.toString();
    const url = `${base}${spec.path}${query ? `?${query}` : ''}`;
    const safeUrl = redactUrl(url);
    const context = { url: safeUrl, sourceId: spec.sourceId };
    let retries = 0;
    let attempts = 0;
    let rejectedStatus: number | undefined;

    const backOff = async (why: Record<string, unknown>): Promise<boolean> => {
      if (retries >= options.retry.limit) return false;
      retries += 1;
      const delayMs = backoffMs(retries, options.retry);
      log?.warn(
        { ...why, sourceId: spec.sourceId, path: spec.path, retry: retries, delayMs },
        `log-cache request failed (${why['reason'] ?? `status ${why['status']}`}), retry ${retries} in ${delayMs} ms`,
      );
      await sleep(delayMs, spec.signal);
      return true;
    };

    for (;;) {
      let authorization: string | undefined;
      if (spec.authenticated && options.auth) {
        try {
          authorization = await options.auth.token();
        } catch (cause) {
          const detail = isTokenRequestError(cause) ? cause.detail : errorTextWithCauses(cause);
          const message =
            rejectedStatus === undefined
              ? `failed to refresh token: ${detail}`
              : `failed to refresh token after ${rejectedStatus}: ${detail}`;
          throw new LogCacheAuthError(message, { ...context, rejectedStatus, cause });
        }
      }
      attempts += 1;
      const result = await attempt(url, authorization, spec.signal);
      if (!result.ok) {
        const reason = result.timedOut ? `timed out after ${options.timeoutMs} ms` : errorTextWithCauses(result.error);
        if (await backOff({ reason })) continue;
        throw new LogCacheTransportError({
          ...context,
          attempts,
          timedOut: result.timedOut,
          timeoutMs: options.timeoutMs,
          cause: result.error,
        });
      }
      const { status, text } = result;
      if ((status >= 200 && status < 300) || spec.accept?.includes(status)) return { status, text, url: safeUrl };
      if (authorization !== undefined && options.auth) {
        if ((status === 401 || status === 404) && rejectedStatus === undefined) {
          // Maybe expired: refresh once and repeat the request; a second rejection is real.
          options.auth.invalidate(authorization);
          rejectedStatus = status;
          log?.info(
            { sourceId: spec.sourceId, path: spec.path, status },
            'log-cache rejected the token, refreshing it once',
          );
          continue;
        }
        // The anchor drops the token after a 403 (docs/anchor-compatibility.md#log-cache-auth); the
        // next call starts with a fresh one.
        if (status === 403) options.auth.invalidate(authorization);
      }
      if (status >= 500 && (await backOff({ status }))) continue;
      throw new LogCacheStatusError({ ...context, status, body: text, attempts });
    }
  };
};
