import { randomBytes } from 'node:crypto';
import { connectDatabase } from '../../lib/adapters/db/connect.ts';
import type { Database } from '../../lib/adapters/db/connect.ts';

/**
 * The database a spec runs against: the real server named by TEST_DATABASE_URL, inside a schema
 * of its own that is dropped afterwards, or else a fresh embedded PGlite.
 */
export const openTestDatabase = async (): Promise<
  Database & { readonly kind: 'postgres' | 'embedded'; readonly schema?: string }
> => {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return { ...(await connectDatabase()), kind: 'embedded' };
  const schema = `eg_spec_${randomBytes(6).toString('hex')}`;
  const db = await connectDatabase({ url, schema, applySchema: true, maxConnections: 4 });
  return {
    ...db,
    kind: 'postgres',
    schema,
    async close() {
      await db.sql`DROP SCHEMA IF EXISTS ${db.sql(schema)} CASCADE`;
      await db.close();
    },
  };
};

export const databaseKind = (): string => (process.env.TEST_DATABASE_URL ? 'postgres' : 'embedded');
