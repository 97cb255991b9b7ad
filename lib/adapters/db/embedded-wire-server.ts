import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST_CODE = 80877103;
const CANCEL_REQUEST_CODE = 80877102;
const GSS_REQUEST_CODE = 80877104;

/** Frontend messages after which the backend answers: Sync, Query, FunctionCall, CopyDone/Fail, Flush. */
const SEND_NOW = new Set(['S', 'Q', 'F', 'c', 'f', 'H']);

export interface EmbeddedWireServer {
  readonly host: string;
  readonly port: number;
  connections(): number;
  close(): Promise<void>;
}

/**
 * One lock over the single PGlite session. A connection holds it for a whole request cycle (up to
 * Sync or a simple Query, across Flush), and for as long as it keeps a transaction open, so two clients never
 * interleave their messages inside one session. (The stock pglite-socket server queues single
 * messages, so concurrent extended-protocol queries fail with `portal "" does not exist`.)
 */
const createSessionLock = () => {
  let owner: number | undefined;
  const waiting: { id: number; grant: () => void }[] = [];
  const next = () => {
    if (owner !== undefined) return;
    const first = waiting.shift();
    if (!first) return;
    owner = first.id;
    first.grant();
  };
  return {
    acquire(id: number): Promise<void> {
      if (owner === id) return Promise.resolve();
      return new Promise((grant) => {
        waiting.push({ id, grant });
        next();
      });
    },
    release(id: number): void {
      if (owner !== id) return;
      owner = undefined;
      next();
    },
    forget(id: number): void {
      for (let i = waiting.length - 1; i >= 0; i--) if (waiting[i]!.id === id) waiting.splice(i, 1);
    },
  };
};

/**
 * Serves an in-process PGlite over the PostgreSQL wire protocol on loopback, for any number of
 * clients, so postgres.js (and psql) reach the embedded database as they reach a real server.
 */
export const startEmbeddedWireServer = async (
  db: PGlite,
  options: { host?: string; port?: number } = {},
): Promise<EmbeddedWireServer> => {
  const host = options.host ?? '127.0.0.1';
  const lock = createSessionLock();
  const sockets = new Set<Socket>();
  let nextId = 1;

  const serve = (socket: Socket): void => {
    const id = nextId++;
    sockets.add(socket);
    let buffer: Buffer = Buffer.alloc(0);
    let started = false;
    let pending: Buffer[] = [];
    let chain = Promise.resolve();
    let closed = false;

    // holdSession: the batch ended with Flush, so the client waits for an answer mid-cycle and the
    // rest of its cycle (Bind, Execute, Sync) must follow in the same session state.
    const run = async (messages: Buffer, holdSession: boolean): Promise<void> => {
      await lock.acquire(id);
      try {
        if (closed) return;
        await db.execProtocolRawStream(new Uint8Array(messages), {
          onRawData: (data) => {
            if (!socket.destroyed) socket.write(data);
          },
        });
      } finally {
        // An open transaction keeps the session for this client until it ends.
        if (closed || (!holdSession && !db.isInTransaction())) lock.release(id);
      }
    };

    const enqueue = (messages: Buffer, holdSession = false): void => {
      chain = chain
        .then(() => run(messages, holdSession))
        .catch(() => {
          socket.destroy();
        });
    };

    const onEnd = (): void => {
      if (closed) return;
      closed = true;
      sockets.delete(socket);
      lock.forget(id);
      // A client that vanished inside a transaction must not leave the session blocked.
      chain = chain.then(async () => {
        await lock.acquire(id);
        try {
          if (db.isInTransaction()) await db.exec('ROLLBACK');
        } catch {
          // the session is reset by the next client's statements anyway
        } finally {
          lock.release(id);
        }
      });
    };

    socket.on('data', (data: Buffer) => {
      buffer = buffer.length === 0 ? data : Buffer.concat([buffer, data]);
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return;
          const length = buffer.readInt32BE(0);
          const code = buffer.readInt32BE(4);
          if (buffer.length < length) return;
          const packet = buffer.subarray(0, length);
          buffer = buffer.subarray(length);
          if (code === SSL_REQUEST_CODE || code === GSS_REQUEST_CODE) {
            socket.write('N');
            continue;
          }
          if (code === CANCEL_REQUEST_CODE) {
            socket.end();
            return;
          }
          started = true;
          enqueue(Buffer.from(packet));
          continue;
        }
        if (buffer.length < 5) return;
        const length = 1 + buffer.readInt32BE(1);
        if (buffer.length < length) return;
        const type = String.fromCharCode(buffer[0]!);
        const message = Buffer.from(buffer.subarray(0, length));
        buffer = buffer.subarray(length);
        if (type === 'X') {
          socket.end();
          return;
        }
        pending.push(message);
        if (SEND_NOW.has(type)) {
          enqueue(Buffer.concat(pending), type === 'H');
          pending = [];
        }
      }
    });
    socket.on('close', onEnd);
    socket.on('error', () => socket.destroy());
  };

  // Replies go out as PGlite produces them, several writes per request; with Nagle's algorithm the
  // later ones waited for the client's delayed ACK (about 40 ms) whenever requests were pipelined.
  const server: Server = createServer({ noDelay: true }, serve);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    host,
    port,
    connections: () => sockets.size,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
