import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '../config/schema.ts';
import type { RequestHandler } from './router.ts';
import { errorText } from '../../core/error-text.ts';

type TlsConfig = Config['server']['tls'];

const readTls = (key: string, tls: TlsConfig) => {
  if (!tls.key_file || !tls.cert_file) return undefined;
  const read = (name: keyof TlsConfig) => {
    try {
      return readFileSync(tls[name]);
    } catch (err) {
      throw new Error(`cannot read ${key}.${name} '${tls[name]}': ${errorText(err)}`, { cause: err });
    }
  };
  const ca = tls.ca_file ? read('ca_file') : undefined;
  // With a CA configured, client certificates are required and verified against it.
  return {
    key: read('key_file'),
    cert: read('cert_file'),
    minVersion: 'TLSv1.2' as const,
    ...(ca ? { ca, requestCert: true, rejectUnauthorized: true } : {}),
  };
};

/** An HTTPS server when the block has key and cert (client certificates required with a CA), else HTTP. */
export const makeServer = (key: string, tls: TlsConfig, handler: RequestHandler): Server => {
  const options = readTls(key, tls);
  return options ? createHttpsServer(options, handler) : createHttpServer(handler);
};

/** Listens and resolves with the actual port (port 0 asks the OS for one). */
export const listen = (server: Server, port: number, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });

/** Stops accepting, waits for in-flight requests, and after `graceMs` cuts what is left, upgraded sockets included. */
export const closeServer = (server: Server, upgraded: Set<Socket | Duplex>, graceMs: number): Promise<void> =>
  new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      server.closeAllConnections();
      for (const socket of upgraded) socket.destroy();
    }, graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
