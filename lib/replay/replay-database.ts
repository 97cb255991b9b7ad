import type { Sql } from 'postgres';
import { connectDatabase } from '../adapters/db/connect.ts';
import type { Database } from '../adapters/db/connect.ts';
import { createAppMetricStore } from '../adapters/stores/app-metric-store.ts';
import type { AppMetricStore } from '../adapters/stores/app-metric-store.ts';

/**
 * How long a replay's background write of app metrics may take before it is rolled back and tried again.
 * The service's 5 s suits a live insert of a few rows; a replay writes 20,000 at a time while its
 * own thread is busy replaying, and a late timer there says nothing about the database.
 */
export const REPLAY_SAVE_DEADLINE_MS = 10 * 60_000;

/** The store a replay writes `app_metric` rows through (see createWriteBehindStore). */
export const replayAppMetricStore = (sql: Sql, now: () => bigint): AppMetricStore =>
  createAppMetricStore(sql, { now, saveDeadlineMs: REPLAY_SAVE_DEADLINE_MS });

export interface ReplayDatabase {
  /** Settles once the database is open (the replay reads the recording meanwhile). */
  readonly ready: Promise<Database>;
  /** The server schema the rows go to; undefined for the embedded database. */
  readonly schema: string | undefined;
  /** Drops the replay's schema unless `keepRows`, and closes the database. */
  close(keepRows: boolean): Promise<void>;
}

/**
 * Starts opening the database a replay writes its app metrics to: `embedded` (PGlite, in a process
 * of its own) or a PostgreSQL URL, where the rows go to a schema of the replay's own, so that rows
 * of earlier replays (or of the service) are never mixed in.
 */
export const openReplayDatabase = (target: string, name: string): ReplayDatabase => {
  const schema =
    target === 'embedded'
      ? undefined
      : `replay_${name.replace(/[^a-zA-Z0-9]/g, '_').toLowerCase()}_${Date.now().toString(36)}`;
  const ready = connectDatabase(schema ? { url: target, schema, applySchema: true } : {});
  // The replay reports a failure to open where it waits for the database; this copy must not be unhandled.
  ready.catch(() => undefined);
  return {
    ready,
    schema,
    async close(keepRows) {
      const database = await ready.catch(() => undefined);
      if (!database) return;
      if (schema && !keepRows)
        await database.sql`DROP SCHEMA IF EXISTS ${database.sql(schema)} CASCADE`.catch(() => undefined);
      await database.close();
    },
  };
};
