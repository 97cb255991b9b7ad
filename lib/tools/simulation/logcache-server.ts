import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeReadResponse } from '../../core/envelope/envelope-json.ts';
import { msToNs, NS_PER_SECOND } from '../../core/time/ns.ts';
import { pause, record, send, sendJson, startPeerServer } from './peer-server.ts';
import { answerPromQl } from './logcache-promql.ts';
import { parseReadParams } from './logcache-read-params.ts';
import { createEnvelopeStore } from './logcache-store.ts';
import type { EnvelopeStore } from './logcache-store.ts';
import type { TokenCheck } from './uaa-token-registry.ts';

export type LogCacheFault = 'error' | 'garbage' | 'hang';

export interface LogCacheRequest {
  readonly method: string;
  readonly path: string;
  readonly params: URLSearchParams;
  readonly sourceId: string | undefined;
  readonly authorization: string | undefined;
  /** Wall-clock ms at arrival. */
  readonly at: number;
  /** Status answered; undefined while in flight or hung. */
  status: number | undefined;
}

export interface LogCacheFaults {
  /** Scripted faults, checked first. */
  readonly decide?: (request: LogCacheRequest) => LogCacheFault | undefined;
  /** Probability (0–1) of a 503, a 200 with a non-JSON body, or a request that never answers. */
  readonly errorRate?: number;
  readonly garbageRate?: number;
  readonly hangRate?: number;
  readonly random?: () => number;
}

export interface LogCacheServerOptions {
  readonly port?: number;
  readonly host?: string;
  readonly envelopes?: EnvelopeStore;
  /**
   * Token check for every endpoint except info; absent = no auth. `expired`/`invalid` → 404, empty
   * body (docs/anchor-compatibility.md#wire-auth-proxy).
   */
  readonly requireToken?: (authorization: string | undefined) => TokenCheck;
  readonly latencyMs?: number | ((request: LogCacheRequest) => number);
  readonly faults?: LogCacheFaults;
  /** Clock (ns) for "now" defaults; wall clock when absent. */
  readonly now?: () => bigint;
  readonly version?: string;
  /** Request log length kept (at least); default 10 000. */
  readonly keepRequests?: number;
}

export interface LogCacheServer {
  readonly url: string;
  readonly store: EnvelopeStore;
  /** Requests in arrival order (the newest `keepRequests` at least). */
  readonly requests: LogCacheRequest[];
  /** Requests being served now, and the most seen at once. */
  concurrency(): { inFlight: number; max: number };
  close(): Promise<void>;
}

const UNAVAILABLE = JSON.stringify({
  code: 14,
  message: 'failed to find route for request. please try again',
  details: [],
});
const METHOD_NOT_ALLOWED = JSON.stringify({ code: 12, message: 'Method Not Allowed', details: [] });

const pickFault = (faults: LogCacheFaults | undefined, request: LogCacheRequest): LogCacheFault | undefined => {
  if (!faults) return undefined;
  const scripted = faults.decide?.(request);
  if (scripted) return scripted;
  const random = faults.random ?? Math.random;
  if ((faults.errorRate ?? 0) > 0 && random() < (faults.errorRate ?? 0)) return 'error';
  if ((faults.garbageRate ?? 0) > 0 && random() < (faults.garbageRate ?? 0)) return 'garbage';
  if ((faults.hangRate ?? 0) > 0 && random() < (faults.hangRate ?? 0)) return 'hang';
  return undefined;
};

/**
 * Simulated log-cache behind its cf-auth-proxy (docs/anchor-compatibility.md#wire-read,
 * #wire-promql, #wire-auth-proxy): `read`, `query` (the two autoscaler PromQL queries), `meta` and
 * `info`, with upstream's parameter parsing, status codes and body shapes. Used by `npm start` on
 * embedded defaults, by specs and by benchmarks.
 */
export const startLogCacheServer = async (options: LogCacheServerOptions = {}): Promise<LogCacheServer> => {
  const store = options.envelopes ?? createEnvelopeStore();
  const now = options.now ?? (() => msToNs(Date.now()));
  const startedAt = now();
  const requests: LogCacheRequest[] = [];
  let inFlight = 0;
  let max = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://log-cache');
    const readMatch = /^\/api\/v1\/read\/([^/]+)$/.exec(url.pathname);
    const request: LogCacheRequest = {
      method: req.method ?? '',
      path: url.pathname,
      params: url.searchParams,
      sourceId: readMatch ? decodeURIComponent(readMatch[1] as string) : undefined,
      authorization: req.headers.authorization,
      at: Date.now(),
      status: undefined,
    };
    record(requests, request, options.keepRequests ?? 10_000);
    const reply = (status: number, body: string, contentType = 'application/json'): void => {
      request.status = status;
      if (body === '') send(res, status, undefined, '');
      else if (contentType === 'application/json') sendJson(res, status, body);
      else send(res, status, contentType, body);
    };

    const latency = typeof options.latencyMs === 'function' ? options.latencyMs(request) : (options.latencyMs ?? 0);
    await pause(latency);

    if (url.pathname === '/api/v1/info') {
      return reply(
        200,
        JSON.stringify({
          version: options.version ?? '3.2.12',
          vm_uptime: String((now() - startedAt) / NS_PER_SECOND),
        }),
      );
    }
    const known = readMatch !== null || url.pathname === '/api/v1/query' || url.pathname === '/api/v1/meta';
    if (!known) return reply(404, '404 page not found\n', 'text/plain; charset=utf-8');
    if (options.requireToken && options.requireToken(request.authorization) !== 'ok') return reply(404, '');
    if (req.method !== 'GET') return reply(501, METHOD_NOT_ALLOWED);

    const fault = pickFault(options.faults, request);
    if (fault === 'hang') return new Promise<void>(() => undefined);
    if (fault === 'error') return reply(503, UNAVAILABLE);
    if (fault === 'garbage') return reply(200, '<html><body>502 Bad Gateway</body></html>', 'text/html');

    if (readMatch) {
      const parsed = parseReadParams(url.searchParams);
      if (!parsed.ok) return reply(parsed.error.status, JSON.stringify(parsed.error.body));
      const { start, end, types, nameFilter, limit, descending } = parsed.query;
      const envelopes = store.query(request.sourceId ?? '', start, end ?? now(), types, nameFilter, limit, descending);
      return reply(200, encodeReadResponse(envelopes));
    }
    if (url.pathname === '/api/v1/query') {
      const answer = answerPromQl(url.searchParams, store, now());
      return reply(answer.status, answer.body);
    }
    // meta through the proxy: lowerCamel, zero `expired` omitted
    // (docs/anchor-compatibility.md#wire-auth-proxy).
    const meta = Object.fromEntries(
      [...store.meta()].map(([id, m]) => [
        id,
        {
          count: String(m.count),
          expired: m.expired > 0 ? String(m.expired) : undefined,
          oldestTimestamp: m.oldestTimestamp.toString(),
          newestTimestamp: m.newestTimestamp.toString(),
        },
      ]),
    );
    return reply(200, JSON.stringify({ meta }));
  };

  const server = await startPeerServer(async (req, res) => {
    inFlight += 1;
    max = Math.max(max, inFlight);
    res.once('close', () => {
      inFlight -= 1;
    });
    await handle(req, res);
  }, options);

  return { url: server.url, store, requests, concurrency: () => ({ inFlight, max }), close: server.close };
};
