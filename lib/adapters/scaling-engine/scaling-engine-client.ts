import { Agent, request } from 'undici';
import { errorTextWithCauses } from '../../core/error-text.ts';
import type { Logger } from '../log/logger.ts';
import type { Trigger } from '../../core/model/policy.ts';
import { parseScaleReply } from '../../core/scaling/parse-scale-reply.ts';
import type { ScaleReply } from '../../core/model/scale-reply.ts';
import { createTlsFetch } from '../tls/tls-fetch.ts';
import type { TlsFiles } from '../tls/tls-fetch.ts';
import { triggerBody } from '../../core/scaling/trigger-body.ts';

export interface ScalingEngineClientOptions {
  /**
   * `scalingEngine.scaling_engine_url`; a trailing `/` is dropped
   * (docs/anchor-compatibility.md#change-scaling).
   */
  readonly url: string;
  /**
   * `http_client_timeout`: bounds the whole call, body included
   * (docs/anchor-compatibility.md#change-scaling).
   */
  readonly timeoutMs: number;
  readonly tls?: TlsFiles | undefined;
  readonly logger?: Logger | undefined;
  /** Wall clock for the certificate-expiry check; tests move it. */
  readonly now?: () => number;
}

export interface ScalingEngineClient {
  /** Sends one trigger; never rejects: every failure is an `ok: false` reply. */
  scale(trigger: Trigger, signal?: AbortSignal): Promise<ScaleReply>;
  close(): Promise<void>;
}

const describeError = (err: unknown, timeoutMs: number, timedOut: boolean, signal?: AbortSignal): string => {
  if (timedOut) return `request timed out after ${timeoutMs}ms`;
  if (signal?.aborted) return 'request aborted';
  // Connection errors name their cause (connect ECONNREFUSED ..., a TLS verification failure).
  return `request failed: ${errorTextWithCauses(err)}`;
};

/**
 * The scaling engine's trigger endpoint (docs/anchor-compatibility.md#trigger-json):
 * `POST {url}/v1/apps/{appId}/scale` with the trigger JSON, one attempt, mTLS when configured. The reply
 * is mapped as in docs/anchor-compatibility.md#scaling-engine.
 */
export const createScalingEngineClient = (options: ScalingEngineClientOptions): ScalingEngineClient => {
  const base = options.url.replace(/\/+$/, '');
  const tls =
    options.tls && (options.tls.certFile || options.tls.keyFile || options.tls.caFile)
      ? createTlsFetch(options.tls, { now: options.now, logger: options.logger })
      : undefined;
  // One pool of kept-alive connections; with TLS, the agent of the loaded certificate.
  const plain = tls ? undefined : new Agent();
  const headers = { 'content-type': 'application/json' };

  return {
    async scale(trigger, signal) {
      const url = `${base}/v1/apps/${encodeURIComponent(trigger.appId)}/scale`;
      // One budget for the whole call, headers and body together (docs/anchor-compatibility.md#change-scaling),
      // and the caller's signal, on one controller: AbortSignal.timeout with AbortSignal.any cost
      // three times as much, for each of a burst of calls.
      const abort = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        abort.abort();
      }, options.timeoutMs);
      timer.unref();
      const cancel = () => abort.abort();
      if (signal?.aborted) cancel();
      else signal?.addEventListener('abort', cancel, { once: true });
      try {
        const { statusCode, body } = await request(url, {
          method: 'POST',
          headers,
          body: triggerBody(trigger),
          signal: abort.signal,
          dispatcher: tls?.dispatcher() ?? plain!,
        });
        const text = await body.text();
        if (statusCode !== 200)
          return { ok: false, status: statusCode, error: `got ${statusCode} when sending trigger alarm` };
        return parseScaleReply(statusCode, text);
      } catch (err) {
        const error = describeError(err, options.timeoutMs, timedOut && !signal?.aborted, signal);
        options.logger?.debug({ err, appId: trigger.appId, url }, 'scaling engine call failed');
        return { ok: false, error };
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', cancel);
      }
    },
    close: async () => {
      await Promise.all([tls?.close(), plain?.close()]);
    },
  };
};
