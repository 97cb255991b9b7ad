import postgres from 'postgres';
import type { Sql } from 'postgres';
import { startEmbeddedDatabase } from './embedded-database.ts';
import type { EmbeddedOptions } from './embedded-database.ts';
import { applySchema, verifySchema } from './schema.ts';
import { resolveConnectionUrl } from './connection-url.ts';
import { backoffMs } from '../../core/time/backoff.ts';

export interface Database {
  readonly sql: Sql;
  readonly url: string;
  readonly embedded: boolean;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** A PostgreSQL URL; when absent an embedded PGlite is started and the schema applied. */
  readonly url?: string;
  readonly maxConnections?: number;
  readonly idleTimeoutSecs?: number | undefined;
  readonly maxLifetimeSecs?: number | undefined;
  readonly embedded?: EmbeddedOptions;
  /** Create the tables when they are missing (always done for the embedded database). */
  readonly applySchema?: boolean;
  /** A schema to work in (created if missing); tests use one each to stay apart on a shared server. */
  readonly schema?: string;
}

/**
 * Seconds before a connection tries again after a failed connect. postgres.js's default grows as
 * 3^n/100 s up to 20 s on a retry count shared by the pool, so after an outage of a few seconds the
 * pool stayed away for up to 20 s more (saves, polls and a shutdown flush all waiting). Doubling from
 * 50 ms up to 1 s reconnects within a second of the database coming back.
 */
export const reconnectBackoffSecs = (retries: number): number =>
  backoffMs(retries + 1, { initialMs: 50, maxMs: 1000 }) / 1000;

const clientFor = (rawUrl: string, options: ConnectOptions, max: number): Sql => {
  const { url, ssl } = resolveConnectionUrl(rawUrl);
  return postgres(url, {
    max,
    ssl,
    idle_timeout: options.idleTimeoutSecs ?? 0,
    max_lifetime: options.maxLifetimeSecs ?? null,
    connect_timeout: 10,
    backoff: reconnectBackoffSecs,
    onnotice: () => {},
    connection: options.schema ? { search_path: options.schema } : undefined,
    // int8 columns hold ns timestamps beyond Number.MAX_SAFE_INTEGER.
    types: { bigint: postgres.BigInt },
  });
};

/** Opens the database: a real server when a URL is given, otherwise the embedded one. */
export const connectDatabase = async (options: ConnectOptions = {}): Promise<Database> => {
  if (options.url) {
    const sql = clientFor(options.url, options, options.maxConnections || 10);
    try {
      if (options.schema) await sql`CREATE SCHEMA IF NOT EXISTS ${sql(options.schema)}`;
      if (options.applySchema) await applySchema(sql);
      await verifySchema(sql);
    } catch (err) {
      await sql.end({ timeout: 1 });
      throw err;
    }
    return { sql, url: options.url, embedded: false, close: () => sql.end({ timeout: 5 }) };
  }
  const server = await startEmbeddedDatabase(options.embedded);
  const sql = clientFor(
    server.url,
    options,
    Math.min(options.maxConnections || server.maxConnections, server.maxConnections),
  );
  await applySchema(sql);
  return {
    sql,
    url: server.url,
    embedded: true,
    async close() {
      await sql.end({ timeout: 5 });
      await server.stop();
    },
  };
};
