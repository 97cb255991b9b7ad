/**
 * Creates the service's tables on a real PostgreSQL server when they are missing (idempotent; an
 * existing table is never altered). Usage: node scripts/migrate.ts --database-url postgres://...
 * (or DATABASE_URL). `--policy-notify` also installs the NOTIFY trigger on policy_json, which
 * makes policy changes apply at once; it is the one change to a table the API server owns, so it
 * is only done on request.
 */
import { parseArgs } from 'node:util';
import { connectDatabase } from '../lib/adapters/db/connect.ts';
import { installPolicyNotifyTrigger } from '../lib/adapters/db/policy-notify.ts';
import { errorText } from '../lib/core/error-text.ts';

const { values } = parseArgs({
  options: { 'database-url': { type: 'string' }, 'policy-notify': { type: 'boolean', default: false } },
});
const url = values['database-url'] ?? process.env.DATABASE_URL;
if (!url) {
  console.error('migrate: give --database-url or set DATABASE_URL');
  process.exit(2);
}
try {
  const db = await connectDatabase({ url, applySchema: true, maxConnections: 1 });
  if (values['policy-notify']) await installPolicyNotifyTrigger(db.sql);
  await db.close();
  console.log(
    `schema ready: policy_json, app_metric, index_app_metrics${values['policy-notify'] ? ', policy_json NOTIFY trigger' : ''}`,
  );
} catch (err) {
  console.error(`migrate: ${errorText(err)}`);
  process.exit(1);
}
