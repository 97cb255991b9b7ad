/**
 * Creates the service's tables on a real PostgreSQL server when they are missing (idempotent; an
 * existing table is never altered). Usage: node scripts/migrate.ts --database-url postgres://...
 * (or DATABASE_URL); --help. `--policy-notify` also installs the NOTIFY trigger on policy_json, which
 * makes policy changes apply at once; it is the one change to a table the API server owns, so it
 * is only done on request.
 */
import { connectDatabase } from '../lib/adapters/db/connect.ts';
import { installPolicyNotifyTrigger } from '../lib/adapters/db/policy-notify.ts';
import { errorText } from '../lib/core/error-text.ts';
import { exitWithUsage, parseCli } from '../lib/tools/cli/parse-cli.ts';

const USAGE = `Usage: node scripts/migrate.ts [--database-url postgres://user:pass@host:5432/db] [--policy-notify]

Creates policy_json, app_metric and its index when they are missing (an existing table is never altered).
  --database-url <url>   the PostgreSQL server (default: $DATABASE_URL)
  --policy-notify        also install the NOTIFY trigger on policy_json, so policy changes apply at once
  -h, --help             this text
`;

const { values } = parseCli({
  name: 'migrate',
  usage: USAGE,
  options: { 'database-url': { type: 'string' }, 'policy-notify': { type: 'boolean', default: false } },
});
const url = values['database-url'] ?? process.env.DATABASE_URL;
if (!url) exitWithUsage('migrate', USAGE, 'give --database-url or set DATABASE_URL');
try {
  const db = await connectDatabase({ url: url!, applySchema: true, maxConnections: 1 });
  if (values['policy-notify']) await installPolicyNotifyTrigger(db.sql);
  await db.close();
  console.log(
    `schema ready: policy_json, app_metric, index_app_metrics${values['policy-notify'] ? ', policy_json NOTIFY trigger' : ''}`,
  );
} catch (err) {
  console.error(`migrate: ${errorText(err)}`);
  process.exit(1);
}
