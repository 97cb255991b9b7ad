import type { Sql, TransactionSql } from 'postgres';
import type { AppMetric, RejectedMetric, SaveResult, SortOrder } from '../../core/model/app-metric.ts';
import { unstorableReason } from './app-metric-limits.ts';
import { withDeadline, writeWithDeadline } from '../db/with-deadline.ts';
import { errorText } from '../../core/error-text.ts';

export interface AppMetricStore {
  /** One multi-row insert in one transaction. Throws only when the database itself fails. */
  saveBulk(metrics: readonly AppMetric[]): Promise<SaveResult>;
  /** Rows with start <= timestamp <= end (both inclusive). A negative end means now. */
  retrieve(appId: string, metricType: string, start: bigint, end: bigint, order: SortOrder): Promise<AppMetric[]>;
  /** Deletes rows with timestamp <= before; returns how many. */
  prune(before: bigint): Promise<number>;
}

export interface AppMetricStoreOptions {
  /** The clock for `end < 0`, in ns. */
  readonly now: () => bigint;
  /**
   * Deadline of one insert (5 s, docs/anchor-compatibility.md#app-metric-writes); past it the
   * insert is reported failed (and retried by the caller), and rolled back should it finish later.
   */
  readonly saveDeadlineMs?: number;
  /** Deadline of one history read. */
  readonly retrieveDeadlineMs?: number;
}

const insert = (sql: Sql | TransactionSql, rows: readonly AppMetric[]) =>
  // unnest keeps the statement at five parameters however large the batch is.
  sql`INSERT INTO app_metric (app_id, metric_type, unit, "timestamp", value)
      SELECT * FROM unnest(
        ${sql.array(rows.map((m) => m.appId))}::varchar[],
        ${sql.array(rows.map((m) => m.name))}::varchar[],
        ${sql.array(rows.map((m) => m.unit))}::varchar[],
        ${sql.array(rows.map((m) => m.timestamp.toString()))}::bigint[],
        ${sql.array(rows.map((m) => m.value))}::varchar[])`;

/** SQLSTATE classes 22 (data exception) and 23 (integrity) mean a row is at fault, not the database. */
const isRowError = (err: unknown): boolean => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
};

export const createAppMetricStore = (sql: Sql, options: AppMetricStoreOptions): AppMetricStore => {
  const saveDeadlineMs = options.saveDeadlineMs ?? 5_000;
  const retrieveDeadlineMs = options.retrieveDeadlineMs ?? 30_000;
  // Bisects a batch the database refused for a row-level reason, so one bad row costs only itself.
  const saveIsolating = async (rows: readonly AppMetric[], rejected: RejectedMetric[]): Promise<number> => {
    try {
      await writeWithDeadline(sql, (tx) => insert(tx, rows), saveDeadlineMs, `saving ${rows.length} app metrics`);
      return rows.length;
    } catch (err) {
      if (!isRowError(err)) throw err;
      if (rows.length === 1) {
        rejected.push({ metric: rows[0]!, reason: errorText(err) });
        return 0;
      }
      const mid = Math.ceil(rows.length / 2);
      return (await saveIsolating(rows.slice(0, mid), rejected)) + (await saveIsolating(rows.slice(mid), rejected));
    }
  };

  return {
    async saveBulk(metrics) {
      const rejected: RejectedMetric[] = [];
      const storable: AppMetric[] = [];
      for (const metric of metrics) {
        const reason = unstorableReason(metric);
        if (reason) rejected.push({ metric, reason });
        else storable.push(metric);
      }
      const saved = storable.length === 0 ? 0 : await saveIsolating(storable, rejected);
      return { saved, rejected };
    },

    async retrieve(appId, metricType, start, end, order) {
      const upper = end < 0n ? options.now() : end;
      const direction = order === 'DESC' ? sql`DESC` : sql`ASC`;
      const rows = await withDeadline(
        sql<{ app_id: string; metric_type: string; value: string | null; unit: string; timestamp: bigint }[]>`
        SELECT app_id, metric_type, value, unit, "timestamp" FROM app_metric
        WHERE app_id = ${appId} AND metric_type = ${metricType}
          AND "timestamp" >= ${start.toString()} AND "timestamp" <= ${upper.toString()}
        ORDER BY "timestamp" ${direction}`,
        retrieveDeadlineMs,
        'reading app metrics',
      );
      return rows.map((r) => ({
        appId: r.app_id,
        name: r.metric_type,
        value: r.value ?? '',
        unit: r.unit,
        timestamp: BigInt(r.timestamp),
      }));
    },

    async prune(before) {
      const result = await sql`DELETE FROM app_metric WHERE "timestamp" <= ${before.toString()}`;
      return result.count;
    },
  };
};
