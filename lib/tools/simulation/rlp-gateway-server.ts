import type { ServerResponse } from 'node:http';
import { encodeEnvelope } from '../../core/envelope/envelope-json.ts';
import type { Envelope } from '../../core/model/envelope.ts';
import { pause, record, send, startPeerServer } from './peer-server.ts';
import type { TokenCheck } from './uaa-token-registry.ts';

export type RlpEnvelopeType = 'log' | 'counter' | 'gauge' | 'timer' | 'event';
const TYPES: readonly RlpEnvelopeType[] = ['log', 'counter', 'gauge', 'timer', 'event'];

export interface RlpRequest {
  readonly method: string;
  readonly path: string;
  readonly params: URLSearchParams;
  readonly authorization: string | undefined;
  /** Wall-clock ms at arrival. */
  readonly at: number;
  status: number | undefined;
}

/** One stream being served. */
export interface RlpStream {
  /** Source ids asked for; empty is the firehose. */
  readonly sourceIds: ReadonlySet<string>;
  readonly types: ReadonlySet<RlpEnvelopeType>;
  /** Wall-clock ms when it was opened. */
  readonly openedAt: number;
  /** Batches written to it so far. */
  batches: number;
}

export interface RlpGatewayOptions {
  readonly port?: number;
  readonly host?: string;
  /**
   * Token check (the gateway asks UAA's check_token); absent = no auth. The gateway strips only a
   * lowercase `bearer ` prefix, so any other spelling reaches the check unstripped and fails.
   */
  readonly requireToken?: (token: string) => TokenCheck;
  /** Heartbeat period of a stream without data; default 15 s, as upstream. */
  readonly heartbeatMs?: number;
  /** After this long a stream gets `closing` and is ended; default 14 min, as upstream. */
  readonly streamTimeoutMs?: number;
  /** Scripted refusal of a request: `unavailable` answers 503 streaming_unavailable. */
  readonly decide?: (request: RlpRequest) => 'unavailable' | undefined;
  readonly latencyMs?: number;
  /** Longest request head accepted (a stream of many source ids has a long URL); Node's default 16 KiB when absent. */
  readonly maxHeaderSize?: number;
  /** Text waiting to be sent on one stream beyond which its batches are dropped; default 4 MiB. */
  readonly maxUnsentBytes?: number;
  /** Request log length kept (at least); default 10 000. */
  readonly keepRequests?: number;
}

export interface RlpGatewayServer {
  readonly url: string;
  readonly requests: RlpRequest[];
  /** Streams open now. */
  streams(): readonly RlpStream[];
  /** Writes `envelopes` to every open stream, each stream one batch of those it selects; returns the batches written. */
  publish(envelopes: readonly Envelope[]): number;
  /**
   * `publish` for envelopes already in their wire form (one JSON object text each, as `publish`
   * would encode it): a benchmark emitting tens of thousands a second cannot afford to build each.
   * Selected by source id and type; `gauge.name`/`counter.name` selections are not applied.
   */
  publishEncoded(envelopes: readonly EncodedEnvelope[]): number;
  /** Writes raw text to every open stream (malformed data, partial frames). */
  sendRaw(text: string): void;
  /** Writes left out because their stream's consumer had fallen too far behind. */
  droppedWrites(): number;
  /** Ends every open stream as the stream timeout does: a `closing` event, then the end. */
  closeStreams(): void;
  /** Cuts every open stream without a word (a network failure, a gateway restart). */
  dropStreams(): void;
  close(): Promise<void>;
}

export interface EncodedEnvelope {
  readonly sourceId: string;
  readonly kind: RlpEnvelopeType;
  readonly json: string;
}

const errorBody = (error: string, message: string) => JSON.stringify({ message, error });
const NOT_FOUND = errorBody('not_found', 'resource not found');
const UNAVAILABLE = errorBody('streaming_unavailable', 'streaming is temporarily unavailable');

interface Served extends RlpStream {
  readonly res: ServerResponse;
  readonly gaugeNames: readonly string[];
  readonly counterNames: readonly string[];
  readonly timers: NodeJS.Timeout[];
}

const kindOf = (e: Envelope): RlpEnvelopeType =>
  e.gauge ? 'gauge' : e.timer ? 'timer' : e.counter ? 'counter' : 'log';

const selects = (s: Served, e: Envelope): boolean => {
  if (s.sourceIds.size > 0 && !s.sourceIds.has(e.sourceId)) return false;
  const kind = kindOf(e);
  if (!s.types.has(kind)) return false;
  if (kind === 'gauge' && s.gaugeNames.length > 0) return s.gaugeNames.every((n) => e.gauge?.[n] !== undefined);
  if (kind === 'counter' && s.counterNames.length > 0) return s.counterNames.includes(e.counter?.name ?? '');
  return true;
};

/**
 * Simulated RLP gateway (docs/anchor-compatibility.md#wire-rlp): `GET /v2/read` with repeatable
 * `source_id`, type flags whose presence counts (`gauge`, `gauge=`), `gauge.name` (comma list; an
 * envelope must hold every name) and `counter.name`; Server-Sent Events of
 * `{"batch":[…]}` in the envelope encoding of the simulated log-cache, a heartbeat after each
 * quiet `heartbeatMs`, and `closing` after `streamTimeoutMs`. Refusals as upstream: 404
 * `not_found` for a missing or refused token, 400 (JSON in a text/plain answer) for an empty query
 * or one without a type, 405 for other methods, 503 `streaming_unavailable` when scripted.
 * Envelopes reach streams only through `publish`: like the real gateway it replays nothing.
 */
export const startRlpGatewayServer = async (options: RlpGatewayOptions = {}): Promise<RlpGatewayServer> => {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const streamTimeoutMs = options.streamTimeoutMs ?? 14 * 60_000;
  const maxUnsentBytes = options.maxUnsentBytes ?? 4 * 1024 * 1024;
  const requests: RlpRequest[] = [];
  const open = new Set<Served>();

  const end = (s: Served, closing: boolean): void => {
    if (!open.delete(s)) return;
    for (const t of s.timers) clearTimeout(t);
    if (closing) s.res.end('event: closing\ndata: closing due to stream timeout\n\n');
    else s.res.destroy();
  };

  let dropped = 0;
  const write = (s: Served, text: string): void => {
    if (s.res.writableEnded || s.res.destroyed) return;
    // As the real gateway's diode: a consumer that falls this far behind loses batches instead of
    // the gateway holding them all (a benchmark past its capacity ran this process out of memory).
    if (s.res.writableLength > maxUnsentBytes) {
      dropped += 1;
      return;
    }
    s.res.write(text);
    // Data resets the heartbeat: a heartbeat is sent only after a quiet period.
    s.timers[0]?.refresh();
  };

  const server = await startPeerServer(
    async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://log-stream');
      const request: RlpRequest = {
        method: req.method ?? '',
        path: url.pathname,
        params: url.searchParams,
        authorization: req.headers.authorization,
        at: Date.now(),
        status: undefined,
      };
      record(requests, request, options.keepRequests ?? 10_000);
      const refuse = (status: number, body: string): void => {
        request.status = status;
        // Upstream writes its JSON error bodies with a text/plain content type.
        send(res, status, 'text/plain; charset=utf-8', body);
      };
      await pause(options.latencyMs ?? 0);
      if (url.pathname !== '/v2/read') return refuse(404, '404 page not found\n');
      if (req.method !== 'GET') return refuse(405, errorBody('method_not_allowed', 'method not allowed'));
      if (options.requireToken) {
        const header = request.authorization ?? '';
        const token = header.startsWith('bearer ') ? header.slice('bearer '.length) : header;
        // `Bearer x` reaches UAA's check_token whole, and no token has a space in it.
        if (token === '' || /\s/.test(token) || options.requireToken(token) !== 'ok') return refuse(404, NOT_FOUND);
      }
      if (options.decide?.(request) === 'unavailable') return refuse(503, UNAVAILABLE);
      const params = url.searchParams;
      if ([...params.keys()].length === 0) return refuse(400, errorBody('empty_query', 'query cannot be empty'));
      const types = new Set(TYPES.filter((t) => params.has(t)));
      const gaugeNames = params
        .getAll('gauge.name')
        .flatMap((v) => v.split(','))
        .filter((n) => n !== '');
      const counterNames = params.getAll('counter.name').filter((n) => n !== '');
      if (params.has('gauge.name') && gaugeNames.length === 0)
        return refuse(400, errorBody('missing_gauge_name', 'gauge.name requires a value'));
      if (params.has('counter.name') && counterNames.length === 0)
        return refuse(400, errorBody('missing_counter_name', 'counter.name requires a value'));
      if (gaugeNames.length > 0) types.add('gauge');
      if (counterNames.length > 0) types.add('counter');
      if (types.size === 0)
        return refuse(400, errorBody('missing_envelope_type', 'query must provide at least one envelope type'));

      request.status = 200;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      res.flushHeaders();
      const served: Served = {
        sourceIds: new Set(params.getAll('source_id')),
        types,
        gaugeNames,
        counterNames,
        openedAt: Date.now(),
        batches: 0,
        res,
        timers: [],
      };
      served.timers.push(
        setInterval(() => write(served, `event: heartbeat\ndata: ${Math.floor(Date.now() / 1000)}\n\n`), heartbeatMs),
        setTimeout(() => end(served, true), streamTimeoutMs),
      );
      open.add(served);
      res.once('close', () => {
        open.delete(served);
        for (const t of served.timers) clearTimeout(t);
      });
    },
    { port: options.port, host: options.host, maxHeaderSize: options.maxHeaderSize },
  );

  return {
    url: server.url,
    requests,
    streams: () => [...open],
    publish: (envelopes) => {
      let written = 0;
      for (const s of open) {
        const batch = envelopes.filter((e) => selects(s, e));
        if (batch.length === 0) continue;
        write(s, `data: ${JSON.stringify({ batch: batch.map(encodeEnvelope) })}\n\n`);
        s.batches += 1;
        written += 1;
      }
      return written;
    },
    publishEncoded: (envelopes) => {
      let written = 0;
      for (const s of open) {
        const batch: string[] = [];
        for (const e of envelopes)
          if ((s.sourceIds.size === 0 || s.sourceIds.has(e.sourceId)) && s.types.has(e.kind)) batch.push(e.json);
        if (batch.length === 0) continue;
        write(s, `data: {"batch":[${batch.join(',')}]}\n\n`);
        s.batches += 1;
        written += 1;
      }
      return written;
    },
    droppedWrites: () => dropped,
    sendRaw: (text) => {
      for (const s of open) write(s, text);
    },
    closeStreams: () => {
      for (const s of [...open]) end(s, true);
    },
    dropStreams: () => {
      for (const s of [...open]) end(s, false);
    },
    close: async () => {
      for (const s of [...open]) end(s, false);
      await server.close();
    },
  };
};
