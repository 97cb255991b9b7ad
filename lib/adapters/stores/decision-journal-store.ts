import type { Sql } from 'postgres';
import { parse, stringify } from '../../core/json/bigint-json.ts';
import type { DecisionJournal, JournalDetail, JournalEntry, JournalEvent } from '../../core/model/decision-journal.ts';
import { withDeadline, writeWithDeadline } from '../db/with-deadline.ts';

export const JOURNAL_TABLE = 'eventgenerator_decisions';

/**
 * Our own table, never one of the anchor's: created when missing, idempotent. `seq` orders entries
 * of the same nanosecond as they were decided.
 */
export const applyJournalSchema = async (sql: Sql): Promise<void> => {
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${JOURNAL_TABLE} (
       seq bigserial PRIMARY KEY,
       app_id varchar(255) NOT NULL,
       "timestamp" bigint NOT NULL,
       event varchar(40) NOT NULL,
       rule_index integer,
       metric_type varchar(100),
       "values" text NOT NULL,
       reason text NOT NULL,
       detail text NOT NULL
     )`,
    `CREATE INDEX IF NOT EXISTS ${JOURNAL_TABLE}_app_time ON ${JOURNAL_TABLE} (app_id, "timestamp")`,
  ];
  for (const statement of statements) {
    // Instances starting together may race on CREATE; the loser's error is harmless.
    await sql.unsafe(statement).catch((err: { code?: string }) => {
      if (err.code !== '42P07' && err.code !== '23505') throw err;
    });
  }
};

export interface DecisionJournalStoreOptions {
  /** The clock for `end < 0`, in ns. */
  readonly now: () => bigint;
  /** Deadline of one append (default 5 s): past it the batch is reported failed and kept. */
  readonly appendDeadlineMs?: number;
  readonly readDeadlineMs?: number;
}

interface Row {
  app_id: string;
  timestamp: bigint;
  event: string;
  rule_index: number | null;
  metric_type: string | null;
  values: string;
  reason: string;
  detail: string;
}

const asStrings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

const detailOf = (text: string): JournalDetail => {
  const value = parse(text);
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JournalDetail) : {};
};

const toEntry = (r: Row): JournalEntry => ({
  appId: r.app_id,
  at: BigInt(r.timestamp),
  event: r.event as JournalEvent,
  ...(r.rule_index !== null ? { ruleIndex: r.rule_index } : {}),
  ...(r.metric_type !== null ? { metricType: r.metric_type } : {}),
  values: asStrings(parse(r.values)),
  reason: r.reason,
  detail: detailOf(r.detail),
});

// bigint fields of a detail come back from JSON as numbers or bigints; the fold wants bigints.
const NS_FIELDS = ['cooldownUntil', 'retryAfter'] as const;
const withBigints = (entry: JournalEntry): JournalEntry => {
  let detail = entry.detail;
  for (const key of NS_FIELDS) {
    const v = detail[key] as unknown;
    if (typeof v === 'number') detail = { ...detail, [key]: BigInt(v) };
  }
  return detail === entry.detail ? entry : { ...entry, detail };
};

export const createDecisionJournalStore = (sql: Sql, options: DecisionJournalStoreOptions): DecisionJournal => {
  const appendDeadlineMs = options.appendDeadlineMs ?? 5_000;
  const readDeadlineMs = options.readDeadlineMs ?? 30_000;
  return {
    async append(entries) {
      if (entries.length === 0) return 0;
      // unnest keeps the statement at eight parameters however large the batch is.
      await writeWithDeadline(
        sql,
        (
          tx,
        ) => tx`INSERT INTO eventgenerator_decisions (app_id, "timestamp", event, rule_index, metric_type, "values", reason, detail)
            SELECT * FROM unnest(
              ${sql.array(entries.map((e) => e.appId))}::varchar[],
              ${sql.array(entries.map((e) => e.at.toString()))}::bigint[],
              ${sql.array(entries.map((e) => e.event))}::varchar[],
              ${sql.array(entries.map((e) => (e.ruleIndex === undefined ? null : String(e.ruleIndex))) as string[])}::integer[],
              ${sql.array(entries.map((e) => e.metricType ?? null) as string[])}::varchar[],
              ${sql.array(entries.map((e) => stringify(e.values)))}::text[],
              ${sql.array(entries.map((e) => e.reason))}::text[],
              ${sql.array(entries.map((e) => stringify(e.detail)))}::text[])`,
        appendDeadlineMs,
        `journaling ${entries.length} decisions`,
      );
      return entries.length;
    },

    async read(appId, start, end, order, limit) {
      const upper = end < 0n ? options.now() : end;
      const direction = order === 'DESC' ? sql`DESC` : sql`ASC`;
      const rows = await withDeadline(
        sql<Row[]>`
          SELECT app_id, "timestamp", event, rule_index, metric_type, "values", reason, detail
          FROM eventgenerator_decisions
          WHERE app_id = ${appId} AND "timestamp" >= ${start.toString()} AND "timestamp" <= ${upper.toString()}
          ORDER BY "timestamp" ${direction}, seq ${direction}
          ${limit !== undefined ? sql`LIMIT ${limit}` : sql``}`,
        readDeadlineMs,
        'reading the decision journal',
      );
      return rows.map((r) => withBigints(toEntry(r)));
    },

    async prune(before, maxRowsPerApp) {
      // Bounded like every other statement, so a stuck delete cannot stop later prunes for good.
      const expired = await withDeadline(
        sql`DELETE FROM eventgenerator_decisions WHERE "timestamp" <= ${before.toString()}`,
        readDeadlineMs,
        'pruning the decision journal by age',
      );
      const overCap = await withDeadline(
        sql`
        DELETE FROM eventgenerator_decisions WHERE seq IN (
          SELECT seq FROM (
            SELECT seq, row_number() OVER (PARTITION BY app_id ORDER BY "timestamp" DESC, seq DESC) AS n
            FROM eventgenerator_decisions) ranked
          WHERE n > ${maxRowsPerApp})`,
        readDeadlineMs,
        'pruning the decision journal to its per-app cap',
      );
      return { expired: expired.count, overCap: overCap.count };
    },
  };
};
