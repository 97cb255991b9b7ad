import { createConnection, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface TcpProxy {
  /** The loopback port clients connect to; it stays the same across cut() and restore(). */
  readonly port: number;
  /** Destroys every open connection (both legs) and stops listening, so new connections are refused. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /** Client connections accepted so far, and open now. */
  stats(): { readonly accepted: number; readonly open: number };
  close(): Promise<void>;
}

const listen = (server: Server, port: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });

const stopListening = (server: Server): Promise<void> =>
  new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));

/**
 * A TCP relay on 127.0.0.1 in front of a peer (a database, an HTTP server), for outage tests that
 * must not stop the peer itself: `cut()` behaves like the peer's host going away (open connections
 * reset, new ones refused) and `restore()` like it coming back at the same address.
 */
export const startTcpProxy = async (target: { readonly host: string; readonly port: number }): Promise<TcpProxy> => {
  const open = new Set<Socket>();
  const clients = new Set<Socket>();
  let accepted = 0;
  const track = (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };

  const server = createServer((client) => {
    accepted += 1;
    const upstream = createConnection({ host: target.host, port: target.port });
    track(client);
    track(upstream);
    clients.add(client);
    client.once('close', () => clients.delete(client));
    // Either leg failing takes the other down, as a broken route would.
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });

  await listen(server, 0);
  const { port } = server.address() as AddressInfo;

  const cut = async () => {
    const closing = stopListening(server);
    for (const socket of open) socket.resetAndDestroy();
    await closing;
  };

  return {
    port,
    cut,
    async restore() {
      if (server.listening) return;
      // The port was just released; a few tries cover a slow release.
      for (let attempt = 1; ; attempt++) {
        try {
          await listen(server, port);
          return;
        } catch (err) {
          if (attempt >= 20 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
          await sleep(100);
        }
      }
    },
    stats: () => ({ accepted, open: clients.size }),
    close: cut,
  };
};

/** The same URL, pointing at the proxy instead of the peer. */
export const viaProxy = (url: string, proxy: Pick<TcpProxy, 'port'>): string => {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
};

/** Host and port of a URL, as a proxy target. */
export const targetOf = (url: string): { host: string; port: number } => {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || (u.protocol.startsWith('postgres') ? 5432 : 80)) };
};
