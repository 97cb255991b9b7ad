import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { applySchema, verifySchema } from '../../../../lib/adapters/db/schema.ts';
import { openTestDatabase } from '../../../support/database.ts';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;
const schema = suite<{ db: Db }>('schema');

schema.before(async (context) => {
  context.db = await openTestDatabase();
});
schema.after(async ({ db }) => db.close());

schema('creates both tables and the index exactly as the anchor does', async ({ db }) => {
  const columns = await db.sql<
    {
      table_name: string;
      column_name: string;
      data_type: string;
      is_nullable: string;
      character_maximum_length: number | null;
    }[]
  >`
    SELECT table_name, column_name, data_type, is_nullable, character_maximum_length FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name IN ('policy_json', 'app_metric') ORDER BY table_name, ordinal_position`;
  assert.equal(
    columns.map((c) => [c.table_name, c.column_name, c.data_type, c.is_nullable, c.character_maximum_length]),
    [
      ['app_metric', 'app_id', 'character varying', 'NO', 255],
      ['app_metric', 'metric_type', 'character varying', 'NO', 100],
      ['app_metric', 'unit', 'character varying', 'NO', 20],
      ['app_metric', 'timestamp', 'bigint', 'NO', null],
      ['app_metric', 'value', 'character varying', 'YES', null],
      ['policy_json', 'app_id', 'character varying', 'NO', 50],
      ['policy_json', 'policy_json', 'json', 'YES', null],
      ['policy_json', 'guid', 'character varying', 'NO', 50],
    ],
  );
  const [index] = await db.sql<
    { indexdef: string }[]
  >`SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'index_app_metrics'`;
  assert.match(index?.indexdef ?? '', /\(app_id, metric_type, "timestamp"\)/);
});

schema('is idempotent and leaves existing tables and their rows alone', async ({ db }) => {
  await db.sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES ('keep-me', '{}', 'g')`;
  await db.sql`ALTER TABLE policy_json ADD COLUMN IF NOT EXISTS owner_note text`;
  await applySchema(db.sql);
  await applySchema(db.sql);
  const [row] = await db.sql<{ n: bigint }[]>`SELECT count(*) AS n FROM policy_json WHERE app_id = 'keep-me'`;
  assert.is(row?.n, 1n);
  const [extra] = await db.sql<
    { n: bigint }[]
  >`SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'policy_json' AND column_name = 'owner_note'`;
  assert.is(extra?.n, 1n, 'a column the service did not create is kept');
});

schema('names a missing column of a foreign table instead of failing later', async ({ db }) => {
  await db.sql`ALTER TABLE app_metric RENAME COLUMN unit TO unit_renamed`;
  try {
    await verifySchema(db.sql);
    assert.unreachable('verification must fail');
  } catch (err) {
    assert.match((err as Error).message, 'table app_metric lacks column(s) unit');
  } finally {
    await db.sql`ALTER TABLE app_metric RENAME COLUMN unit_renamed TO unit`;
  }
});

schema.run();
