import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openTestDatabase } from '../support/database.ts';
import { cpuGauges, serviceConfigYaml, startPeers } from '../support/peers.ts';
import type { Peers } from '../support/peers.ts';
import { spawnService, urlWithSchema, writeConfig } from '../support/service-process.ts';
import type { ServiceProcess } from '../support/service-process.ts';
import { withTopLevel } from '../support/config-yaml.ts';
import { until } from '../support/until.ts';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;
interface Context {
  db: Db;
  peers: Peers;
  service?: ServiceProcess;
}

const APP = 'notify-app-1';
const policy = JSON.stringify({
  instance_min_count: 1,
  instance_max_count: 5,
  scaling_rules: [
    { metric_type: 'cpu', breach_duration_secs: 3, threshold: 70, operator: '>', cool_down_secs: 60, adjustment: '+1' },
  ],
});
// Long enough that only a notification can explain a pick-up within the bound below.
const POLL_SECS = 60;

const notify = suite<Context>('policy changes take effect at once');

notify.before(async (context) => {
  context.db = await openTestDatabase();
  context.peers = await startPeers();
  context.peers.logCache.store.add(...cpuGauges(APP, 95, -90, 180));
  const base = serviceConfigYaml({
    databaseUrl: urlWithSchema(context.db.url, context.db.schema),
    peers: context.peers,
    extra: 'policy_notifications: { install_trigger: true }\n',
  });
  const config = writeConfig(
    withTopLevel(base, {
      aggregator: `{ aggregator_execute_interval: 1s, policy_poller_interval: ${context.db.kind === 'postgres' ? POLL_SECS : 3}s, save_interval: 1s }`,
    }),
  );
  context.service = spawnService(['-c', config]);
  await context.service.started();
  // the notification set-up has decided between LISTEN and polling
  await context.service.waitForLog(
    (l) => /policy changes (arrive by notification|are picked up by polling)/.test(String(l.msg)),
    15_000,
    'the notification set-up',
  );
});

notify.after(async ({ service, peers, db }) => {
  await service?.stop('SIGKILL');
  await peers.close();
  await db.close();
});

notify(
  'a policy inserted after start is evaluated without waiting for the next poll (LISTEN/NOTIFY), or at the next poll on the embedded database',
  async ({ db, peers, service }) => {
    const notifyLines = () =>
      service!.logs
        .filter((l) => /policy changes/.test(String(l.msg)))
        .map((l) => String(l.msg))
        .join(' | ');
    // given no policy yet, when one is inserted
    const insertedAt = Date.now();
    await db.sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES (${APP}, CAST(${policy}::text AS json), 'g')`;
    // then the app is scaled, within a bound that only the notification can meet on a real server
    const call = await until('a scale call for the new policy', 20_000, () =>
      peers.scalingEngine.calls.find((c) => c.appId === APP),
    );
    const tookMs = call.at - insertedAt;
    if (db.kind === 'postgres') {
      assert.match(notifyLines(), /policy changes arrive by notification/);
      assert.ok(tookMs < (POLL_SECS * 1000) / 3, `picked up in ${tookMs} ms, far sooner than the ${POLL_SECS} s poll`);
    } else {
      // one shared PGlite session cannot deliver notifications; the listener finds out and says so
      assert.match(notifyLines(), /picked up by polling/);
      assert.ok(tookMs < 20_000, `picked up by the 3 s poll in ${tookMs} ms`);
    }
  },
);

notify.run();
