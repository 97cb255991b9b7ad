import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openTestDatabase } from '../support/database.ts';
import { cpuGauges, EMBEDDED_SIZED_POOL, serviceConfigYaml, startPeers } from '../support/peers.ts';
import type { Peers } from '../support/peers.ts';
import { spawnService, urlWithSchema, writeConfig } from '../support/service-process.ts';
import type { ServiceProcess } from '../support/service-process.ts';
import { withTopLevel } from '../support/config-yaml.ts';
import { loudHook } from '../support/loud-hook.ts';
import { bounded, until } from '../support/until.ts';
import { decisionsOf, explainOf } from '../support/explain-client.ts';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;
interface Context {
  db: Db;
  peers: Peers;
  services: ServiceProcess[];
  bases: string[];
}

const MEMBERS = ['member-a', 'member-b'];
const APPS = Array.from({ length: 6 }, (_, i) => `explain-lease-app-${i}`);
const policy = JSON.stringify({
  instance_min_count: 1,
  instance_max_count: 5,
  scaling_rules: [
    {
      metric_type: 'cpu',
      breach_duration_secs: 2,
      threshold: 70,
      operator: '>',
      cool_down_secs: 120,
      adjustment: '+1',
    },
  ],
});

const lease = suite<Context>('explain and decisions on two instances sharing apps through leases');

lease.before(
  loudHook('setup', async (context: Context) => {
    context.db = await bounded('opening the test database', 30_000, openTestDatabase());
    context.peers = await startPeers();
    for (const app of APPS) {
      context.peers.logCache.store.add(...cpuGauges(app, 91, -90, 400, 1));
      await context.db
        .sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES (${app}, CAST(${policy}::text AS json), ${`${app}-g`})`;
    }
    const base = serviceConfigYaml({
      databaseUrl: urlWithSchema(context.db.url, context.db.schema),
      peers: context.peers,
      extra: 'membership: { mode: lease, lease_ttl: 3s, heartbeat_interval: 1s }\n',
      databasePool: EMBEDDED_SIZED_POOL,
    });
    context.services = MEMBERS.map((member, index) =>
      spawnService(
        ['-c', writeConfig(withTopLevel(base, { pool: `{ total_instances: 2, instance_index: ${index} }` }))],
        {
          CF_INSTANCE_GUID: member,
        },
      ),
    );
    await Promise.all(context.services.map((s) => s.started()));
    context.bases = context.services.map((s) => `http://127.0.0.1:${s.ports().cf}`);
  }),
);
lease.after(async ({ services, peers, db }) => {
  await Promise.all((services ?? []).map((s) => s.stop('SIGKILL')));
  await peers?.close();
  await bounded('closing the test database', 15_000, db?.close() ?? Promise.resolve());
});

lease('both instances answer decisions for every app, from the one journal', async ({ bases }) => {
  for (const app of APPS) {
    const [fromA, fromB] = await until(`the scaling of ${app} in the journal`, 40_000, async () => {
      const both = await Promise.all(bases.map((b) => decisionsOf(b, app)));
      return both.every((list) => list.some((e) => e.event === 'scaling-answered')) ? both : undefined;
    });
    assert.equal(
      fromA!.map((e) => `${e.timestamp} ${e.event}`),
      fromB!.map((e) => `${e.timestamp} ${e.event}`),
      app,
    );
  }
});

lease(
  'explain on the instance that does not own an app names the owner and answers from the journal',
  async ({ bases }) => {
    const owners = new Set<string>();
    for (const app of APPS) {
      const [a, b] = await until(`one owner of ${app}`, 20_000, async () => {
        const both = await Promise.all(bases.map((base) => explainOf(base, app)));
        return both.filter((e) => e.owner.this_instance).length === 1 ? both : undefined;
      });
      const owner = a!.owner.this_instance ? a! : b!;
      const other = a!.owner.this_instance ? b! : a!;
      const ownerIndex = owner === a ? 0 : 1;
      owners.add(MEMBERS[ownerIndex]!);
      // the other instance names the owner: its member id and instance index
      assert.is(other.owner.member_id, MEMBERS[ownerIndex], app);
      assert.is(other.owner.instance_index, ownerIndex, app);
      assert.is(other.source, 'journal');
      assert.is(owner.source, 'live');
      assert.is(owner.owner.member_id, MEMBERS[ownerIndex]);
      // and tells the same story from the journal: scaled, now in cooldown
      assert.is(owner.rules[0]!.state, 'cooldown', owner.rules[0]!.reason);
      assert.is(other.rules[0]!.state, 'cooldown', other.rules[0]!.reason);
      assert.is(BigInt(other.cooldown.until!), BigInt(owner.cooldown.until!));
    }
    assert.is(owners.size, 2, 'each instance owns some of the apps');
  },
);

lease.run();
