import { of } from 'rxjs';
import type { Logger } from '../adapters/log/logger.ts';
import type { AppMetric, RejectedMetric, SortOrder } from '../core/model/app-metric.ts';
import type { SaveMetrics } from '../core/model/ports.ts';
import { unstorableReason } from '../adapters/stores/app-metric-limits.ts';
import type { AppMetricStore } from '../adapters/stores/app-metric-store.ts';
import type { AsyncTracker } from './async-tracker.ts';

export interface WriteBehindStore {
  /** Accepts a batch at once (as a write that never fails) and queues it for the database. */
  readonly save: SaveMetrics;
  /** Reads after writing everything queued, so a read sees every metric saved before it. */
  retrieve(appId: string, metricType: string, start: bigint, end: bigint, order: SortOrder): Promise<AppMetric[]>;
  /** Writes everything queued. */
  flush(): Promise<void>;
  stats(): {
    readonly queued: number;
    readonly written: number;
    readonly rejected: number;
    readonly failures: number;
    readonly reads: number;
  };
}

export interface WriteBehindOptions {
  readonly store: AppMetricStore;
  readonly tracker: AsyncTracker;
  readonly logger: Logger;
  /** Queued rows that start a background write; bigger means fewer round trips. */
  readonly chunkSize?: number;
  /** Background writes under way before the replay waits for the database (bounds the memory held). */
  readonly maxWritesBehind?: number;
}

/**
 * The replay's database adapter. A virtual hour passes in milliseconds, so awaiting every 5-second
 * bulk insert would dominate the run; instead saves are acknowledged at once and written in large
 * chunks in the background, and reads (tracked, so the virtual clock waits for them) first drain
 * the queue, then run together and settle in the order asked. Decisions therefore see the same
 * rows as the service would, on every run. Rows the table cannot hold are rejected up front with
 * the store's own rule, so the persist pipeline reports them as it would.
 */
export const createWriteBehindStore = (options: WriteBehindOptions): WriteBehindStore => {
  const chunkSize = options.chunkSize ?? 20_000;
  const maxWritesBehind = options.maxWritesBehind ?? 16;
  let queue: AppMetric[] = [];
  let written = 0;
  let rejectedCount = 0;
  let failures = 0;
  let reads = 0;
  // Everything issued so far; what reads must wait for (every write issued before them); and the
  // last read, so that reads, which run together, still finish in the order asked.
  let chain: Promise<void> = Promise.resolve();
  let writesDone: Promise<void> = chain;
  let lastRead: Promise<unknown> = chain;

  // Writes under way, oldest first (they run one after another).
  const behind: Promise<void>[] = [];

  const writeQueued = (): Promise<void> => {
    if (queue.length === 0) return chain;
    const rows = queue;
    queue = [];
    // A write waits for the reads before it too, so they never see rows saved after they were asked.
    const write = chain.then(async () => {
      try {
        const result = await options.store.saveBulk(rows);
        written += result.saved;
        rejectedCount += result.rejected.length;
        for (const r of result.rejected)
          options.logger.warn(
            { appId: r.metric.appId, metricType: r.metric.name, reason: r.reason },
            'metric not stored',
          );
      } catch (err) {
        failures += 1;
        options.logger.error({ err, rows: rows.length }, 'replay could not write app metrics to the database');
      } finally {
        behind.shift();
      }
    });
    behind.push(write);
    writesDone = chain = write;
    return write;
  };

  return {
    save(batch) {
      const rejected: RejectedMetric[] = [];
      let saved = 0;
      for (const metric of batch) {
        const reason = unstorableReason(metric);
        if (reason) rejected.push({ metric, reason });
        else {
          queue.push(metric);
          saved += 1;
        }
      }
      if (queue.length >= chunkSize) {
        // Writes go on in the background; the virtual clock waits (through the tracker) only when
        // the database has fallen this far behind, and only for the oldest write: waiting for all
        // of them would leave the database alone at work while the replay stood still.
        void writeQueued();
        if (behind.length > maxWritesBehind) void options.tracker.track(behind[0]!);
      }
      return of({ saved, rejected });
    },
    retrieve(appId, metricType, start, end, order) {
      // A read sees every earlier save. Consecutive reads go out together (one round trip each
      // would leave both threads idle) but settle in the order asked, as one at a time would.
      reads += 1;
      void writeQueued();
      const read = writesDone.then(() => options.store.retrieve(appId, metricType, start, end, order));
      const done = read.then(
        () => undefined,
        () => undefined,
      );
      chain = Promise.all([chain, done]).then(() => undefined);
      const inOrder = lastRead.then(() => read);
      lastRead = inOrder.then(
        () => undefined,
        () => undefined,
      );
      return options.tracker.track(inOrder);
    },
    flush: () => options.tracker.track(writeQueued()),
    stats: () => ({ queued: queue.length, written, rejected: rejectedCount, failures, reads }),
  };
};
