import { Agent } from 'undici';
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

const ABORTED = 'request aborted';

/**
 * One scaling call as undici's dispatch handler: the reply's status and body straight from the
 * parser, without the request API's promise, async resource, body stream and URL parsing per call,
 * which cost about as much as the rest of a call together in a burst of 1,000. Settles once:
 * with the reply, or at once on the timeout or the caller's abort (the request is then aborted
 * as soon as undici hands over its abort).
 */
class ScaleCall {
  readonly #done: (reply: ScaleReply) => void;
  readonly #fail: (err: unknown) => void;
  #abort: ((reason?: Error) => void) | undefined;
  #cancelled: Error | undefined;
  #status = 0;
  #chunks: Buffer[] = [];
  settled = false;

  constructor(done: (reply: ScaleReply) => void, fail: (err: unknown) => void) {
    this.#done = done;
    this.#fail = fail;
  }

  /** Ends the call now with `reply`, and the request as soon as it can be. */
  cancel(reply: ScaleReply, reason: Error): void {
    if (this.settled) return;
    this.#finish(reply);
    this.#cancelled = reason;
    this.#abort?.(reason);
  }

  #finish(reply: ScaleReply): void {
    this.settled = true;
    this.#chunks = [];
    this.#done(reply);
  }

  onConnect(abort: (reason?: Error) => void): void {
    if (this.#cancelled !== undefined) abort(this.#cancelled);
    else this.#abort = abort;
  }

  onHeaders(statusCode: number): boolean {
    this.#status = statusCode;
    return true;
  }

  onData(chunk: Buffer): boolean {
    // A refused call's body is not read, only waited for.
    if (this.#status === 200) this.#chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    if (this.settled) return;
    const status = this.#status;
    if (status !== 200) {
      this.#finish({ ok: false, status, error: `got ${status} when sending trigger alarm` });
      return;
    }
    const chunks = this.#chunks;
    const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    // As the request API's text(): a leading byte-order mark is not part of the body.
    this.#finish(parseScaleReply(status, text.charCodeAt(0) === 0xfeff ? text.slice(1) : text));
  }

  onError(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.#chunks = [];
    this.#fail(err);
  }
}

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
  // One pool of kept-alive connections per origin; with TLS, the agent of the loaded certificate.
  const plain = tls ? undefined : new Agent();
  const headers = { 'content-type': 'application/json' };
  // The origin and path prefix, parsed once; a URL that does not parse fails every call.
  let target: { readonly origin: string; readonly prefix: string } | { readonly error: unknown };
  try {
    const url = new URL(base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TypeError(`unsupported protocol ${url.protocol}`);
    target = { origin: url.origin, prefix: `${url.pathname.replace(/\/+$/, '')}/v1/apps/` };
  } catch (error) {
    target = { error };
  }
  const { timeoutMs } = options;
  const timedOut = `request timed out after ${timeoutMs}ms`;

  return {
    scale(trigger, signal) {
      const failed = (err: unknown): ScaleReply => {
        options.logger?.debug({ err, appId: trigger.appId, url: base }, 'scaling engine call failed');
        return { ok: false, error: `request failed: ${errorTextWithCauses(err)}` };
      };
      if ('error' in target) return Promise.resolve(failed(target.error));
      if (signal?.aborted) return Promise.resolve({ ok: false, error: ABORTED });
      const { origin, prefix } = target;
      return new Promise<ScaleReply>((resolve) => {
        // One budget for the whole call, headers and body together (docs/anchor-compatibility.md#change-scaling).
        let timer: ReturnType<typeof setTimeout> | undefined;
        const onAbort = () => call.cancel({ ok: false, error: ABORTED }, new Error(ABORTED));
        const end = (reply: ScaleReply): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(reply);
        };
        const call = new ScaleCall(end, (err) => end(failed(err)));
        timer = setTimeout(() => call.cancel({ ok: false, error: timedOut }, new Error(timedOut)), timeoutMs);
        timer.unref();
        signal?.addEventListener('abort', onAbort, { once: true });
        (tls?.dispatcher() ?? plain!).dispatch(
          {
            origin,
            path: `${prefix}${encodeURIComponent(trigger.appId)}/scale`,
            method: 'POST',
            headers,
            body: triggerBody(trigger),
          },
          call,
        );
      });
    },
    close: async () => {
      await Promise.all([tls?.close(), plain?.close()]);
    },
  };
};
