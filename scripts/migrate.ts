/**
 * Creates the service's tables on a real PostgreSQL server when they are missing (idempotent; an
 * existing table is never altered). Usage: node scripts/migrate.ts --database-url postgres://...
 * (or DATABASE_URL).
 */
import { parseArgs } from 'node:util';
import { connectDatabase } from '../lib/db/connect.ts';

const { values } = parseArgs({ options: { 'database-url': { type: 'string' } } });
const url = values['database-url'] ?? process.env.DATABASE_URL;
if (!url) {
  console.error('migrate: give --database-url or set DATABASE_URL');
  process.exit(2);
}
try {
  const db = await connectDatabase({ url, applySchema: true, maxConnections: 1 });
  await db.close();
  console.log('schema ready: policy_json, app_metric, index_app_metrics');
} catch (err) {
  console.error(`migrate: ${(err as Error).message}`);
  process.exit(1);
}
