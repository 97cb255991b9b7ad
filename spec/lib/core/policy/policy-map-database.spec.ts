import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildPolicyMap } from '../../../../lib/core/policy/policy-map.ts';
import { belongsToShard } from '../../../../lib/core/policy/shard.ts';
import { createPolicyStore } from '../../../../lib/adapters/stores/policy-store.ts';
import { openTestDatabase } from '../../../support/database.ts';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;
const stored = suite<{ db: Db }>('buildPolicyMap over rows read from policy_json');

stored.before(async (context) => {
  context.db = await openTestDatabase();
});
stored.after(async ({ db }) => db.close());

stored('parses what the table holds, keeping int64 thresholds exact and isolating bad rows', async ({ db }) => {
  const rows: [string, string | null][] = [
    [
      'app-id-1',
      '{"scaling_rules":[{"metric_type":"memoryused","threshold":9223372036854775807,"operator":">","breach_duration_secs":120,"cool_down_secs":300,"adjustment":"+1"}]}',
    ],
    ['app-id-2', null],
    ['app-id-3', 'null'],
    ['app-id-4', '{"scaling_rules":[{"metric_type":"cpu","threshold":"30"}]}'],
    ['app-id-5', '{"Scaling_Rules":[null,{"METRIC_TYPE":"cpu","operator":">","threshold":1,"threshold":2}]}'],
  ];
  for (const [appId, text] of rows) {
    await db.sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES (${appId}, CAST(${text}::text AS json), ${`g-${appId}`})`;
  }
  const built = buildPolicyMap(await createPolicyStore(db.sql).retrievePolicies(), () => true);
  assert.equal([...built.policies.keys()].sort(), ['app-id-1', 'app-id-3', 'app-id-5']);
  assert.is(built.policies.get('app-id-1')!.rules[0]!.threshold, 9223372036854775807n);
  assert.equal(built.policies.get('app-id-3')!.rules, []);
  assert.equal(
    built.policies.get('app-id-5')!.rules.map((r) => [r.metricType, r.threshold]),
    [['cpu', 2n]],
  );
  assert.equal(built.rejected.map((r) => r.appId).sort(), ['app-id-2', 'app-id-4']);
  assert.equal(built.warnings, [{ appId: 'app-id-5', warning: 'scaling_rules[0] is null; skipped' }]);
});

stored('the shard filter decides which stored apps are parsed at all', async ({ db }) => {
  const built = buildPolicyMap(await createPolicyStore(db.sql).retrievePolicies(), (id) => belongsToShard(id, 0, 3));
  // of app-id-1..5, shard 0 of 3 owns app-id-3 and app-id-4; app-id-4 is the bad one
  assert.equal([...built.policies.keys()], ['app-id-3']);
  assert.equal(
    built.rejected.map((r) => r.appId),
    ['app-id-4'],
  );
});

stored.run();
