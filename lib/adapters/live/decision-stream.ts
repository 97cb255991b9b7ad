import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { asyncScheduler, firstValueFrom, interval, timer } from 'rxjs';
import type { Observable, SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import type { Decision } from '../../core/model/decision.ts';
import { stringify } from '../../core/json/bigint-json.ts';
import { parseDecisionFilter } from './decision-filter.ts';
import type { DecisionFilter } from './decision-filter.ts';
import type { OutboxStats } from './client-outbox.ts';
import { openDecisionClient } from './decision-client.ts';
import type { DecisionClient } from './decision-client.ts';
import { rejectUpgrade } from './reject-upgrade.ts';
import { errorText } from '../../core/error-text.ts';

export type AuthResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface DecisionStreamOptions {
  readonly server: HttpServer | HttpsServer;
  /** Should be hot and shared: every client subscribes to it with its own filter. */
  readonly decision$: Observable<Decision>;
  /** The API's own check (XFCC or basic auth); a refusal answers 401 before the upgrade. */
  readonly authenticate: (req: IncomingMessage) => AuthResult;
  readonly logger: Logger;
  /** Messages held per slow client before events are dropped; default 1000. */
  readonly maxBuffered?: number;
  /** Unsent bytes per client before messages wait in its queue; default 1 MiB. */
  readonly maxBufferedBytes?: number;
  /** Ping interval; a client that has not answered the previous ping is cut off. Default 30 s. */
  readonly heartbeatMs?: number;
  /** Concurrent clients; more are refused with 503. Default 100. */
  readonly maxClients?: number;
  readonly path?: string;
  readonly scheduler?: SchedulerLike;
}

export interface ClientStats extends OutboxStats {
  readonly remote: string;
}

export interface DecisionStream {
  clients(): number;
  stats(): readonly ClientStats[];
  /** Closes every client (1001) and stops accepting new ones. */
  close(): Promise<void>;
}

/**
 * Streams decisions (metrics, breaches, cooldown holds, breaker states, scaling calls and results)
 * as JSON text frames on `GET /v1/decisions` (`?app_id=` repeatable, `?kinds=a,b`), attached to
 * the API's HTTP server. The first frame is `{"kind":"subscribed",...}`; a client that falls behind
 * gets `{"kind":"dropped","count":n}` where events are missing. bigint fields are bare integers.
 */
export const attachDecisionStream = (options: DecisionStreamOptions): DecisionStream => {
  const { server, decision$, authenticate } = options;
  const path = options.path ?? '/v1/decisions';
  const maxBuffered = options.maxBuffered ?? 1000;
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const maxClients = options.maxClients ?? 100;
  const scheduler = options.scheduler ?? asyncScheduler;
  const log = options.logger.child({ component: 'decision-stream' });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  const clients = new Set<DecisionClient>();
  // One serialisation per event, however many clients receive it.
  const encoded = new WeakMap<Decision, string>();
  const encode = (d: Decision): string => {
    let text = encoded.get(d);
    if (text === undefined) encoded.set(d, (text = stringify(d)));
    return text;
  };
  let closing = false;

  const connect = (ws: WebSocket, want: DecisionFilter, remote: string) => {
    const client = openDecisionClient(ws, {
      want,
      remote,
      decision$,
      encode,
      maxBuffered,
      maxBufferedBytes,
      scheduler,
      log,
    });
    clients.add(client);
    ws.on('close', () => clients.delete(client));
  };

  let upgrading = 0;

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== path) {
      // Another upgrade handler may own that path; answer only when we are the only one.
      if (server.listenerCount('upgrade') === 1) rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    if (closing) return rejectUpgrade(socket, 503, 'Service Unavailable');
    const auth = authenticate(req);
    if (!auth.ok) {
      log.info({ remote, reason: auth.reason }, `refused a decision stream client: ${auth.reason}`);
      return rejectUpgrade(socket, 401, 'Unauthorized');
    }
    const parsed = parseDecisionFilter(url);
    if (!parsed.ok) return rejectUpgrade(socket, 400, parsed.reason);
    if (clients.size + upgrading >= maxClients) {
      log.warn({ remote, maxClients }, 'refused a decision stream client: too many clients');
      return rejectUpgrade(socket, 503, `too many clients (max ${maxClients})`);
    }
    // Handshakes in progress count against maxClients too; a failed one frees its place on close.
    upgrading++;
    let counted = true;
    const settle = () => {
      if (counted) {
        counted = false;
        upgrading--;
      }
    };
    socket.once('close', settle);
    wss.handleUpgrade(req, socket, head, (ws) => {
      settle();
      connect(ws, parsed.filter, remote);
    });
  };
  // An exception here would reach the HTTP server's emitter and end the process: answer 500 instead.
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      upgrade(req, socket, head);
    } catch (err) {
      log.error({ err, url: req.url }, `decision stream upgrade failed: ${errorText(err)}`);
      rejectUpgrade(socket, 500, 'Internal Server Error');
    }
  };
  server.on('upgrade', onUpgrade);

  // A client that did not answer the previous ping is gone (or not reading): cut it off.
  const heartbeat = interval(options.heartbeatMs ?? 30_000, scheduler).subscribe(() => {
    for (const client of clients) {
      if (!client.alive) {
        log.info({ remote: client.remote }, 'client missed a heartbeat; terminating it');
        client.ws.terminate();
        continue;
      }
      client.alive = false;
      client.ws.ping();
    }
  });

  return {
    clients: () => clients.size,
    stats: () => [...clients].map((c) => ({ remote: c.remote, ...c.outbox.stats() })),
    async close() {
      if (closing) return;
      closing = true;
      server.off('upgrade', onUpgrade);
      heartbeat.unsubscribe();
      const closed = [...clients].map(
        (c) =>
          new Promise<void>((resolve) => {
            c.unsubscribe();
            if (c.ws.readyState === c.ws.CLOSED) return resolve();
            c.ws.once('close', () => resolve());
            c.ws.close(1001, 'server closing');
          }),
      );
      // A client that does not answer the close handshake is terminated after a second.
      await Promise.race([Promise.all(closed), firstValueFrom(timer(1000, scheduler))]);
      for (const c of clients) c.ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
};
