import type { Logger } from '../adapters/log/logger.ts';
import type { AppMetric } from '../core/model/app-metric.ts';
import { isQueryDeadlineError } from '../adapters/db/query-deadline-error.ts';
import type { AppMetricStore } from '../adapters/stores/app-metric-store.ts';
import type { AsyncTracker } from './async-tracker.ts';

export interface WriteBehindStats {
  /** Rows waiting for a write (or for the database to open). */
  readonly queued: number;
  /** Rows the database confirmed. */
  readonly written: number;
  readonly rejected: number;
  /** Writes that failed, and the rows they carried. */
  readonly failures: number;
  readonly failedRows: number;
  /** Rows of writes that outlived their deadline: they may or may not be in the table. */
  readonly unconfirmed: number;
}

export interface WriteBehindStore {
  /** Queues rows the table can hold (the caller has already set the others aside); never waits. */
  save(batch: readonly AppMetric[]): void;
  /** Writes everything queued and waits for every write under way. */
  flush(): Promise<void>;
  stats(): WriteBehindStats;
}

export interface WriteBehindOptions {
  /** The database's store, once it is open: the replay reads on while it starts. */
  readonly store: Promise<AppMetricStore>;
  readonly tracker: AsyncTracker;
  readonly logger: Logger;
  /** Queued rows that start a background write; bigger means fewer round trips. */
  readonly chunkSize?: number;
  /** Background writes under way before the replay waits for the database (bounds the memory held). */
  readonly maxWritesBehind?: number;
}

/**
 * The replay's writer of `app_metric` rows when the user asks for them (`--database`). The replay
 * reads its history from memory, so the database is never on the decision path: saves are queued
 * and written in large chunks in the background, one write at a time, after the database has
 * opened. The virtual clock waits (through the tracker) only when the database has fallen far
 * behind, and only for the oldest write.
 *
 * A write counts as written only when the database confirms it. A write that missed its deadline
 * and is known not to have landed (it rolls back) is tried again, up to DEADLINE_ATTEMPTS times in
 * all; one whose commit outlived even its second deadline is counted apart, as unconfirmed.
 */
const DEADLINE_ATTEMPTS = 3;

const saveRetryingDeadlines = async (store: AppMetricStore, rows: readonly AppMetric[]) => {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await store.saveBulk(rows);
    } catch (err) {
      if (!(isQueryDeadlineError(err) && !err.mayHaveLanded && attempt < DEADLINE_ATTEMPTS)) throw err;
    }
  }
};

export const createWriteBehindStore = (options: WriteBehindOptions): WriteBehindStore => {
  const chunkSize = options.chunkSize ?? 20_000;
  const maxWritesBehind = options.maxWritesBehind ?? 16;
  let queue: AppMetric[] = [];
  let written = 0;
  let rejectedCount = 0;
  let failures = 0;
  let failedRows = 0;
  let unconfirmed = 0;
  let chain: Promise<unknown> = options.store;
  // Writes under way, oldest first (they run one after another).
  const behind: Promise<unknown>[] = [];

  const write = async (rows: AppMetric[]): Promise<void> => {
    try {
      const store = await options.store;
      const result = await saveRetryingDeadlines(store, rows);
      written += result.saved;
      rejectedCount += result.rejected.length;
      for (const r of result.rejected)
        options.logger.warn(
          { appId: r.metric.appId, metricType: r.metric.name, reason: r.reason },
          'metric not stored',
        );
    } catch (err) {
      if (isQueryDeadlineError(err) && err.mayHaveLanded) {
        unconfirmed += rows.length;
        options.logger.warn({ err, rows: rows.length }, 'the database did not confirm a write of app metrics in time');
      } else {
        failures += 1;
        failedRows += rows.length;
        options.logger.error({ err, rows: rows.length }, 'replay could not write app metrics to the database');
      }
    } finally {
      behind.shift();
    }
  };

  const writeQueued = (): Promise<unknown> => {
    if (queue.length === 0) return chain;
    const rows = queue;
    queue = [];
    const next = chain.then(
      () => write(rows),
      () => write(rows),
    );
    behind.push(next);
    chain = next;
    return next;
  };

  return {
    save(batch) {
      for (const metric of batch) queue.push(metric);
      if (queue.length >= chunkSize) {
        void writeQueued();
        if (behind.length > maxWritesBehind) void options.tracker.track(behind[0]!);
      }
    },
    flush: async () => {
      await writeQueued().catch(() => undefined);
    },
    stats: () => ({ queued: queue.length, written, rejected: rejectedCount, failures, failedRows, unconfirmed }),
  };
};
