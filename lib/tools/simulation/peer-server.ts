import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorText } from '../../core/error-text.ts';
import { setTimeout as sleep } from 'node:timers/promises';

/** A simulated peer listening on loopback (or `host`). */
export interface PeerServer {
  readonly url: string;
  /** Stops listening and destroys open connections, including deliberately hung requests. */
  close(): Promise<void>;
}

export type PeerHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Starts a node:http server for a simulated peer; a handler failure answers 500 instead of crashing. */
export const startPeerServer = (
  handler: PeerHandler,
  options: { port?: number | undefined; host?: string | undefined; maxHeaderSize?: number | undefined } = {},
): Promise<PeerServer> => {
  const server = createServer({ maxHeaderSize: options.maxHeaderSize }, (req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        send(res, 500, 'text/plain; charset=utf-8', `simulated peer failed: ${errorText(err)}\n`);
      });
  });
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
      resolve({
        url: `http://${shownHost}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
};

export const send = (
  res: ServerResponse,
  status: number,
  contentType: string | undefined,
  body: string,
  headers: Record<string, string> = {},
): void => {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { ...(contentType === undefined ? {} : { 'content-type': contentType }), ...headers });
  res.end(body);
};

/** JSON text plus the trailing newline Go servers write. */
export const sendJson = (
  res: ServerResponse,
  status: number,
  jsonText: string,
  headers: Record<string, string> = {},
): void => send(res, status, 'application/json', `${jsonText}\n`, headers);

/** Reads a request body, refusing more than `maxBytes`. */
export const readBody = (req: IncomingMessage, maxBytes = 1_000_000): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new Error(`request body larger than ${maxBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

/** Resolves after `ms` (0 = at once); simulated latency only, never used inside pipelines. */
export const pause = (ms: number): Promise<void> => (ms > 0 ? sleep(ms) : Promise.resolve());

/**
 * Appends to a request log that keeps at least the newest `keep` entries: long-running simulated
 * peers (`npm start`) must not grow without bound. Trims in halves, so appends stay O(1) amortised.
 */
export const record = <T>(log: T[], entry: T, keep: number): void => {
  log.push(entry);
  if (log.length >= 2 * Math.max(1, keep)) log.splice(0, log.length - keep);
};
