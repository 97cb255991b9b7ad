import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openTestDatabase } from '../support/database.ts';
import { cpuGauges, EMBEDDED_SIZED_POOL, serviceConfigYaml, startPeers } from '../support/peers.ts';
import type { Peers } from '../support/peers.ts';
import { spawnService, urlWithSchema, writeConfig } from '../support/service-process.ts';
import type { ServiceProcess } from '../support/service-process.ts';
import { startTcpProxy, targetOf, viaProxy } from '../support/tcp-proxy.ts';
import type { TcpProxy } from '../support/tcp-proxy.ts';
import { bounded, sleep, until } from '../support/until.ts';
import { loudHook } from '../support/loud-hook.ts';
import { decisionsOf } from '../support/explain-client.ts';
import type { WireEntry } from '../support/explain-client.ts';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;
interface Context {
  db: Db;
  peers: Peers;
  proxy: TcpProxy;
  service?: ServiceProcess;
  cutAt: number;
  restoredAt: number;
  journal: WireEntry[];
}

const APP = 'journal-outage-app';
const OUTAGE_MS = 6_000;
const policy = JSON.stringify({
  instance_min_count: 1,
  instance_max_count: 50,
  scaling_rules: [
    { metric_type: 'cpu', breach_duration_secs: 3, threshold: 70, operator: '>', cool_down_secs: 1, adjustment: '+1' },
  ],
});
const msOf = (e: WireEntry) => Number(BigInt(e.timestamp) / 1_000_000n);

const outage = suite<Context>('the decision journal through a database outage');

outage.before(
  loudHook('setup', async (context: Context) => {
    // given a service that reaches its database only through a proxy, scaling an app every few seconds
    context.db = await bounded('opening the test database', 30_000, openTestDatabase());
    context.proxy = await startTcpProxy(targetOf(context.db.url));
    context.peers = await startPeers({
      scalingEngine: {
        model: {
          scale: (t) => ({ app_id: t.appId, status: 0, adjustment: 1, cool_down_expired_at: 0n }),
        },
      },
    });
    context.peers.logCache.store.add(...cpuGauges(APP, 91, -90, 300));
    await context.db
      .sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES (${APP}, CAST(${policy}::text AS json), 'g1')`;
    const databaseUrl = viaProxy(urlWithSchema(context.db.url, context.db.schema), context.proxy);
    context.service = spawnService([
      '-c',
      writeConfig(serviceConfigYaml({ databaseUrl, peers: context.peers, databasePool: EMBEDDED_SIZED_POOL })),
    ]);
    await context.service.started();
    const base = `http://127.0.0.1:${context.service.ports().cf}`;
    await until('journal entries before the outage', 30_000, async () =>
      (await decisionsOf(base, APP)).some((e) => e.event === 'scaling-answered') ? true : undefined,
    );
    // when the database disappears for a while, then comes back
    context.cutAt = Date.now();
    await context.proxy.cut();
    await sleep(OUTAGE_MS);
    context.restoredAt = Date.now();
    await context.proxy.restore();
    // then the entries decided during the outage reach the journal
    context.journal = await until('the outage entries written', 40_000, async () => {
      const entries = await decisionsOf(base, APP).catch(() => undefined);
      const during = entries?.filter((e) => msOf(e) > context.cutAt + 500 && msOf(e) < context.restoredAt - 500);
      return during?.some((e) => e.event === 'scaling-answered') ? entries : undefined;
    });
  }),
);
outage.after(async (context) => {
  await context.service?.stop('SIGKILL');
  await context.proxy?.close();
  await context.peers?.close();
  await bounded('closing the test database', 15_000, context.db?.close() ?? Promise.resolve());
});

outage('scaling calls go on at their pace while the database is away', ({ peers, cutAt, restoredAt }) => {
  const during = peers.scalingEngine.calls.filter((c) => c.appId === APP && c.at > cutAt && c.at < restoredAt);
  // cool_down 1 s and a 1 s evaluation tick: a call every two seconds or so.
  assert.ok(during.length >= 2, `${during.length} scaling calls during the ${OUTAGE_MS} ms outage`);
});

outage(
  'every call made during the outage is journaled afterwards, in order',
  ({ peers, journal, cutAt, restoredAt }) => {
    const calls = peers.scalingEngine.calls.filter(
      (c) => c.appId === APP && c.at > cutAt + 500 && c.at < restoredAt - 500 && c.status !== undefined,
    );
    const sent = journal.filter((e) => e.event === 'scaling-sent' && msOf(e) > cutAt && msOf(e) < restoredAt);
    assert.ok(sent.length >= calls.length, `${sent.length} sent entries for ${calls.length} calls`);
    const times = journal.map(msOf);
    assert.equal(
      times,
      [...times].sort((a, b) => a - b),
    );
  },
);

outage('the failed writes were reported and retried, and nothing was dropped', ({ service }) => {
  const retried = service!.logs.filter((l) => l.component === 'journal' && /kept and retried/.test(l.msg));
  assert.ok(retried.length >= 1, 'a retry was logged');
  assert.not.ok(service!.logs.some((l) => l.component === 'journal' && /dropped unwritten/.test(l.msg)));
});

outage.run();
