/**
 * The embedded database's own process: PGlite served over the wire protocol on loopback (see
 * embedded-database.ts). It runs apart so that the database's work (WASM, its file system) takes
 * another core instead of the service's event loop. The parent sends its options over IPC, gets
 * the address back, and sends `stop`; this process also ends when the parent goes away.
 */
import { PGlite } from '@electric-sql/pglite';
import { startEmbeddedWireServer } from './embedded-wire-server.ts';
import type { EmbeddedProcessReply, EmbeddedProcessRequest } from './embedded-process-messages.ts';
import { errorText } from '../../core/error-text.ts';

const send = (reply: EmbeddedProcessReply): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(reply, () => resolve());
  });

let stopping: Promise<void> | undefined;
let stopDatabase: () => Promise<void> = async () => {};

const stop = (): Promise<void> =>
  (stopping ??= (async () => {
    await stopDatabase().catch(() => undefined);
    await send({ kind: 'stopped' });
    if (process.connected) process.disconnect();
    process.exit(0);
  })());

const start = async (request: Extract<EmbeddedProcessRequest, { kind: 'start' }>): Promise<void> => {
  try {
    const db = await PGlite.create(request.dataDir ?? 'memory://');
    const server = await startEmbeddedWireServer(db, { port: request.port ?? 0 }).catch(async (err: unknown) => {
      await db.close();
      throw err;
    });
    stopDatabase = async () => {
      await server.close();
      await db.close();
    };
    await send({ kind: 'ready', host: server.host, port: server.port });
  } catch (err) {
    await send({ kind: 'failed', message: errorText(err) });
    process.exit(1);
  }
};

process.on('message', (request: EmbeddedProcessRequest) => {
  if (request.kind === 'start') void start(request);
  else if (request.kind === 'stop') void stop();
});
// The parent is gone (exited, killed or closed the channel): nobody can reach this database any more.
process.on('disconnect', () => void stop());
// A signal to the whole process group (Ctrl-C, a platform stop) must not end the database before
// the service has flushed into it: the parent stops it last, or its going away does.
process.on('SIGTERM', () => undefined);
process.on('SIGINT', () => undefined);
