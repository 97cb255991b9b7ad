import type { Sql } from 'postgres';

/**
 * The two tables the service reads and writes, exactly as the anchor's changelogs define them
 * (docs/anchor-compatibility.md#tables). Idempotent, and it never alters a table that already
 * exists.
 */
const statements = [
  `CREATE TABLE IF NOT EXISTS policy_json (
     app_id varchar(50) NOT NULL PRIMARY KEY,
     policy_json json,
     guid varchar(50) NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS app_metric (
     app_id varchar(255) NOT NULL,
     metric_type varchar(100) NOT NULL,
     unit varchar(20) NOT NULL,
     "timestamp" bigint NOT NULL,
     value varchar
   )`,
  `CREATE INDEX IF NOT EXISTS index_app_metrics ON app_metric (app_id, metric_type, "timestamp")`,
] as const;

const requiredColumns: Readonly<Record<string, readonly string[]>> = {
  policy_json: ['app_id', 'policy_json'],
  app_metric: ['app_id', 'metric_type', 'unit', 'timestamp', 'value'],
};

export const applySchema = async (sql: Sql): Promise<void> => {
  for (const statement of statements) {
    // A concurrent first start on the same database may race on CREATE; the loser's error is harmless.
    await sql.unsafe(statement).catch((err: { code?: string }) => {
      if (err.code !== '42P07' && err.code !== '23505') throw err;
    });
  }
};

/** Checks that existing tables have the columns the service uses, naming what is missing. */
export const verifySchema = async (sql: Sql): Promise<void> => {
  const rows = await sql<{ table_name: string; column_name: string }[]>`
    SELECT table_name, column_name FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name IN ('policy_json', 'app_metric')`;
  for (const [table, columns] of Object.entries(requiredColumns)) {
    const present = new Set(rows.filter((r) => r.table_name === table).map((r) => r.column_name));
    if (present.size === 0) throw new Error(`database schema: table ${table} does not exist (run npm run db:migrate)`);
    const missing = columns.filter((c) => !present.has(c));
    if (missing.length > 0) throw new Error(`database schema: table ${table} lacks column(s) ${missing.join(', ')}`);
  }
};
