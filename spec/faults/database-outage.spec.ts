import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openTestDatabase } from '../support/database.ts';
import { cpuGauges, EMBEDDED_SIZED_POOL, serviceConfigYaml, startPeers } from '../support/peers.ts';
import type { Peers } from '../support/peers.ts';
import { spawnService, urlWithSchema, writeConfig } from '../support/service-process.ts';
import type { ServiceProcess } from '../support/service-process.ts';
import { startTcpProxy, targetOf, viaProxy } from '../support/tcp-proxy.ts';
import type { TcpProxy } from '../support/tcp-proxy.ts';
import {
  DROPPED,
  PRODUCED,
  SAVED,
  countRows,
  largestGapMs,
  linesBetween,
  linesMatching,
  restingCounters,
  storedTimestamps,
  within,
} from '../support/service-output.ts';
import { bounded, sleep, until } from '../support/until.ts';
import { loudHook } from '../support/loud-hook.ts';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;
interface Context {
  db: Db;
  peers: Peers;
  proxy: TcpProxy;
  service?: ServiceProcess;
  cutAt: number;
  restoredAt: number;
  /** ms from restore() until the outage's metrics were all in the table. */
  recoveryMs: number;
  counters: Map<string, number>;
  rows: number;
  exitCode: number | null;
}

const APP = 'outage-app-1';
const QUIET_APP = 'outage-app-2';
const APPS = [APP, QUIET_APP];
const OUTAGE_MS = 6_000;
const RECOVERY_BOUND_MS = 8_000;

const policy = JSON.stringify({
  instance_min_count: 1,
  instance_max_count: 5,
  scaling_rules: [
    { metric_type: 'cpu', breach_duration_secs: 3, threshold: 70, operator: '>', cool_down_secs: 1, adjustment: '+1' },
  ],
});

const outage = suite<Context>('database outage behind a TCP proxy');

outage.before(
  loudHook('setup', async (context: Context) => {
    // given: the service reaches the database (embedded or the shared server) only through a proxy
    context.db = await bounded('opening the test database', 30_000, openTestDatabase());
    context.proxy = await startTcpProxy(targetOf(context.db.url));
    context.peers = await bounded('starting the peers', 10_000, startPeers());
    context.peers.logCache.store.add(...cpuGauges(APP, 91.2, -90, 300), ...cpuGauges(QUIET_APP, 10, -90, 300));
    await bounded(
      'inserting the policies',
      10_000,
      context.db.sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES
    (${APP}, CAST(${policy}::text AS json), 'g1'), (${QUIET_APP}, CAST(${policy}::text AS json), 'g2')`,
    );
    const databaseUrl = viaProxy(urlWithSchema(context.db.url, context.db.schema), context.proxy);
    const service = spawnService([
      '-c',
      writeConfig(serviceConfigYaml({ databaseUrl, peers: context.peers, databasePool: EMBEDDED_SIZED_POOL })),
    ]);
    context.service = service;
    await service.started();
    // Eight seconds of history: the cache then covers the evaluation window [now − 2·3s, now] by itself.
    await until('app metrics saved before the outage', 30_000, async () =>
      (await countRows(context.db.sql, APPS)) >= 16 ? true : undefined,
    );

    // when: the database disappears for a few seconds while metrics keep coming, then comes back
    context.cutAt = Date.now();
    await context.proxy.cut();
    await sleep(OUTAGE_MS);
    context.restoredAt = Date.now();
    await context.proxy.restore();

    await until('a scaling call after the database came back', 40_000, () =>
      context.peers.scalingEngine.calls.find((c) => c.appId === APP && c.at > context.restoredAt),
    );
    await until('the outage backlog written', 40_000, async () => {
      const stored = await storedTimestamps(context.db.sql, APPS);
      return APPS.every(
        (id) =>
          within(stored.get(id)!, context.cutAt + 1_000, context.restoredAt - 1_000).length >= OUTAGE_MS / 1000 - 3,
      )
        ? true
        : undefined;
    });
    context.recoveryMs = Date.now() - context.restoredAt;

    // then production is stopped (no policies, no monitors) so that counts can be compared exactly
    await context.db.sql`DELETE FROM policy_json WHERE app_id IN ${context.db.sql(APPS)}`;
    const { health } = service.ports();
    context.counters = await restingCounters(
      health,
      40_000,
      2_500,
      (counters) => counters.get(SAVED) === counters.get(PRODUCED),
    );
    context.rows = await countRows(context.db.sql, APPS);
    context.exitCode = await service.stop('SIGTERM', 25_000);
  }),
);

outage.after(async (context) => {
  await context.service?.stop('SIGKILL');
  await context.proxy?.close();
  await context.peers?.close();
  await bounded('closing the test database', 15_000, context.db?.close() ?? Promise.resolve());
});

outage(
  'keeps producing app metrics for every app while the database is unreachable, and writes them once it is back',
  async ({ db, cutAt, restoredAt }) => {
    const stored = await storedTimestamps(db.sql, APPS);
    for (const appId of APPS) {
      const timestamps = stored.get(appId)!;
      // One metric per second (aggregator interval 1s); the tick phase costs at most one at each end.
      assert.ok(
        within(timestamps, cutAt, restoredAt).length >= OUTAGE_MS / 1000 - 1,
        `${appId}: ${within(timestamps, cutAt, restoredAt).length} rows from a ${OUTAGE_MS}ms outage`,
      );
      assert.ok(
        largestGapMs(timestamps) < 2_000,
        `${appId}: largest gap ${largestGapMs(timestamps)}ms in the per-second sequence`,
      );
    }
  },
);

outage('writes every produced metric exactly once', ({ counters, rows }) => {
  assert.ok((counters.get(PRODUCED) ?? 0) > 0, 'the produced counter is exposed');
  assert.is(rows, counters.get(PRODUCED), 'rows in app_metric = app metrics produced');
  assert.is(counters.get(DROPPED) ?? 0, 0, 'nothing dropped');
});

outage('logs each failed save as a retry that keeps the batch', ({ service, cutAt, restoredAt }) => {
  const retries = linesBetween(
    linesMatching(service!.logs, /saving app metrics failed \(.+\); the batch is kept and retried/),
    cutAt,
    restoredAt + 1_000,
  );
  assert.ok(retries.length >= 2, `expected several retries during the outage, saw ${retries.length}`);
  assert.ok(
    retries.every((l) => typeof l.error === 'string' && (l.error as string).length > 0),
    'each retry names the error',
  );
  assert.ok(
    retries.some((l) => Number(l.attempt) >= 2),
    'the attempt count grows',
  );
  assert.ok(
    retries.every((l) => Number(l.pending) > 0),
    'the pending metrics are reported as kept',
  );
  assert.is(linesMatching(service!.logs, /app metrics dropped/).length, 0, 'nothing was dropped');
});

outage(
  'logs the failed policy polls and keeps the last policy set in force',
  ({ service, peers, cutAt, restoredAt }) => {
    const failures = linesBetween(
      linesMatching(service!.logs, /reading policy_json failed \(.+\); the last good policy set stays in force/),
      cutAt,
      restoredAt + 1_000,
    );
    assert.ok(failures.length >= 1, 'a failed policy poll is logged');
    assert.ok(failures.every((l) => typeof l.error === 'string' && Number(l.attempt) >= 1));
    // Kept, not emptied: the breaching app was still evaluated and scaled during the outage.
    const during = peers.scalingEngine.calls.filter(
      (c) => c.appId === APP && c.at > cutAt + 1_000 && c.at < restoredAt,
    );
    assert.ok(during.length >= 1, 'the breaching app was scaled during the outage (evaluated from the cache)');
  },
);

outage('scales the breaching app after the database is back, and never the quiet one', ({ peers, restoredAt }) => {
  const after = peers.scalingEngine.calls.filter((c) => c.appId === APP && c.at > restoredAt);
  assert.ok(after.length >= 1);
  assert.ok(after.every((c) => c.status === 200));
  assert.not.ok(peers.scalingEngine.calls.some((c) => c.appId === QUIET_APP));
});

outage(
  'writes the backlog within seconds of the database coming back, and exits 0 on SIGTERM afterwards',
  ({ recoveryMs, exitCode }) => {
    // The pool reconnects within a second (lib/adapters/db/connect.ts reconnectBackoffSecs); the rest is the retry back-off of the batch.
    assert.ok(recoveryMs < RECOVERY_BOUND_MS, `recovered ${recoveryMs}ms after the database came back`);
    assert.is(exitCode, 0);
  },
);

outage.run();
