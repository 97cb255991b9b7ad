import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedDatabase {
  /** A postgres:// URL that any PostgreSQL client can use. */
  readonly url: string;
  readonly maxConnections: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** A directory to keep data in; in memory when absent. */
  readonly dataDir?: string;
  /** Concurrent client connections the socket multiplexer accepts. */
  readonly maxConnections?: number;
  readonly port?: number;
}

/**
 * Starts PGlite and serves it over the PostgreSQL wire protocol on loopback, so the embedded
 * default and a real server are reached by the same postgres.js code.
 */
export const startEmbeddedDatabase = async (options: EmbeddedOptions = {}): Promise<EmbeddedDatabase> => {
  const maxConnections = options.maxConnections ?? 8;
  const db = await PGlite.create(options.dataDir ?? 'memory://');
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections });
  await server.start();
  const address = server.getServerConn();
  return {
    url: `postgres://postgres@${address}/postgres`,
    maxConnections,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
};
