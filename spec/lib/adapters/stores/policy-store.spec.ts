import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createPolicyStore } from '../../../../lib/adapters/stores/policy-store.ts';
import { openTestDatabase } from '../../../support/database.ts';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;
const store = suite<{ db: Db }>('policy store');

store.before(async (context) => {
  context.db = await openTestDatabase();
});
store.after(async ({ db }) => db.close());

store('reads every row with the policy text exactly as stored, and NULL as null', async ({ db }) => {
  const text = '{"instance_min_count":1,"scaling_rules":[{"metric_type":"memoryused","threshold":300}], "x" : 1}';
  await db.sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES ('app-1', CAST(${text}::text AS json), 'g1'), ('app-2', NULL, 'g2'), ('app-3', 'null'::json, 'g3')`;
  const rows = await createPolicyStore(db.sql).retrievePolicies();
  const byApp = new Map(rows.map((r) => [r.appId, r.policyJson]));
  assert.is(rows.length, 3);
  assert.is(byApp.get('app-1'), text);
  assert.is(byApp.get('app-2'), null);
  assert.is(byApp.get('app-3'), 'null');
});

store('returns an empty list for an empty table', async ({ db }) => {
  await db.sql`DELETE FROM policy_json`;
  assert.equal(await createPolicyStore(db.sql).retrievePolicies(), []);
});

store.run();
