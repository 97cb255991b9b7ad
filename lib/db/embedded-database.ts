import { PGlite } from '@electric-sql/pglite';
import { startEmbeddedWireServer } from './embedded-wire-server.ts';

export interface EmbeddedDatabase {
  /** A postgres:// URL that any PostgreSQL client can use. */
  readonly url: string;
  readonly maxConnections: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** A directory to keep data in; in memory when absent. */
  readonly dataDir?: string;
  /** Client connections each pool should open at most; the session is shared, so more buy nothing. */
  readonly maxConnections?: number;
  readonly port?: number;
}

/**
 * Starts PGlite and serves it over the PostgreSQL wire protocol on loopback, so the embedded
 * default and a real server are reached by the same postgres.js code.
 */
export const startEmbeddedDatabase = async (options: EmbeddedOptions = {}): Promise<EmbeddedDatabase> => {
  const db = await PGlite.create(options.dataDir ?? 'memory://');
  const server = await startEmbeddedWireServer(db, { port: options.port ?? 0 });
  return {
    url: `postgres://postgres@${server.host}:${server.port}/postgres`,
    maxConnections: options.maxConnections ?? 4,
    async stop() {
      await server.close();
      await db.close();
    },
  };
};
