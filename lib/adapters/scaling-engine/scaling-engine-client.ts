import ky, { isHTTPError, isNetworkError, isTimeoutError } from 'ky';
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

const describeError = (err: unknown, timeoutMs: number, signal?: AbortSignal): string => {
  if (isTimeoutError(err)) return `request timed out after ${timeoutMs}ms`;
  if (signal?.aborted) return 'request aborted';
  if (isNetworkError(err)) return `request failed: ${errorTextWithCauses(err.cause ?? err)}`;
  if (isHTTPError(err)) return `got ${err.response.status} when sending trigger alarm`;
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
  const http = ky.create({
    timeout: options.timeoutMs,
    // The per-attempt timeout alone would give the body read a second full allowance.
    totalTimeout: options.timeoutMs,
    retry: 0,
    throwHttpErrors: false,
    headers: { 'content-type': 'application/json' },
    fetch: tls?.fetch,
  });

  return {
    async scale(trigger, signal) {
      const url = `${base}/v1/apps/${encodeURIComponent(trigger.appId)}/scale`;
      try {
        const reply = http.post(url, { body: triggerBody(trigger), signal });
        const response = await reply;
        // Reading through ky keeps the body read inside the same time budget.
        const text = await reply.text();
        if (response.status !== 200)
          return { ok: false, status: response.status, error: `got ${response.status} when sending trigger alarm` };
        return parseScaleReply(response.status, text);
      } catch (err) {
        const error = describeError(err, options.timeoutMs, signal);
        options.logger?.debug({ err, appId: trigger.appId, url }, 'scaling engine call failed');
        return { ok: false, error };
      }
    },
    close: async () => {
      await tls?.close();
    },
  };
};
