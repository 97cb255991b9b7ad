import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openTestDatabase } from '../support/database.ts';
import { cpuGauges, serviceConfigYaml, startPeers } from '../support/peers.ts';
import type { Peers } from '../support/peers.ts';
import { spawnService, urlWithSchema, writeConfig } from '../support/service-process.ts';
import type { LogLine, ServiceProcess } from '../support/service-process.ts';
import { linesBetween, linesMatching, storedTimestamps, within } from '../support/service-output.ts';
import { bounded, until } from '../support/until.ts';
import { withTopLevel } from '../support/config-yaml.ts';
import { loudHook } from '../support/loud-hook.ts';
import type { LogCacheFault } from '../../lib/tools/simulation/logcache-server.ts';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;
interface Context {
  db: Db;
  peers: Peers;
  service?: ServiceProcess;
}

const HEALTHY = ['lc-healthy-1', 'lc-healthy-2'];
const ERRORING = 'lc-5xx';
const GARBLED = 'lc-garbage';
const HANGING = 'lc-hang';
const EVERY_APP = [...HEALTHY, ERRORING, GARBLED, HANGING];
/** log-cache per-attempt time-out: min(10 s, http_client_timeout). */
const TIMEOUT_MS = 2_000;

// Scripted faults, switched by the tests: per app, and for every token.
const faultOf = new Map<string, LogCacheFault>();
let rejectEveryToken = false;

const quietPolicy = JSON.stringify({
  instance_min_count: 1,
  instance_max_count: 5,
  scaling_rules: [
    {
      metric_type: 'cpu',
      breach_duration_secs: 60,
      threshold: 1000,
      operator: '>',
      cool_down_secs: 60,
      adjustment: '+1',
    },
  ],
});

const FAILED = /^retrieveMetric Failed/;
const failuresSince = (service: ServiceProcess, appId: string, fromMs: number): LogLine[] =>
  linesBetween(linesMatching(service.logs, FAILED, appId), fromMs, Number.MAX_SAFE_INTEGER);

/** Waits for a row of `appId` stamped after `afterMs`: the app produces metrics again. */
const recovered = (db: Db, appId: string, afterMs: number) =>
  until(`a new metric of ${appId}`, 20_000, async () => {
    const stored = await storedTimestamps(db.sql, [appId]);
    return within(stored.get(appId)!, afterMs, Number.MAX_SAFE_INTEGER).length > 0 ? true : undefined;
  });

/** Healthy apps have one metric a second across [fromMs, toMs]: nothing stalled them. */
const assertSteady = async (db: Db, fromMs: number, toMs: number): Promise<void> => {
  const stored = await storedTimestamps(db.sql, HEALTHY);
  for (const appId of HEALTHY) {
    const points = [
      BigInt(fromMs) * 1_000_000n,
      ...within(stored.get(appId)!, fromMs, toMs),
      BigInt(toMs) * 1_000_000n,
    ];
    const gaps = points.slice(1).map((t, i) => Number((t - points[i]!) / 1_000_000n));
    assert.ok(
      Math.max(...gaps) < 2_200,
      `${appId}: a ${Math.max(...gaps)}ms gap in its metrics between ${fromMs} and ${toMs}`,
    );
  }
};

/** Runs one fault on one app: on until `failures` failures are logged for it, then off until it recovers. */
const faultPhase = async ({ db, service }: Context, appId: string, fault: LogCacheFault, failures: number) => {
  const from = Date.now();
  faultOf.set(appId, fault);
  const lines = await until(`${failures} logged failure(s) of ${appId}`, 30_000, () => {
    const seen = failuresSince(service!, appId, from);
    return seen.length >= failures ? seen : undefined;
  });
  const to = Date.now();
  faultOf.delete(appId);
  await recovered(db, appId, to);
  return { from, to, lines };
};

const noMetricsWhileFailing = async (db: Db, appId: string, firstFailureMs: number, toMs: number) => {
  const stored = await storedTimestamps(db.sql, [appId]);
  assert.equal(
    within(stored.get(appId)!, firstFailureMs + 1, toMs - 1),
    [],
    `${appId} produced no metric while its reads failed`,
  );
};

const faults = suite<Context>('log-cache faults');

faults.before(
  loudHook('setup', async (context: Context) => {
    context.db = await bounded('opening the test database', 30_000, openTestDatabase());
    const peers: Peers = await startPeers({
      logCache: {
        faults: { decide: (request) => (request.sourceId === undefined ? undefined : faultOf.get(request.sourceId)) },
        requireToken: (authorization) => (rejectEveryToken ? 'expired' : peers.uaa.registry.check(authorization)),
      },
    });
    context.peers = peers;
    for (const appId of EVERY_APP) peers.logCache.store.add(...cpuGauges(appId, 20, -90, 400));
    for (const appId of EVERY_APP) {
      await context.db
        .sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES (${appId}, CAST(${quietPolicy}::text AS json), ${appId})`;
    }
    const databaseUrl = urlWithSchema(context.db.url, context.db.schema);
    context.service = spawnService([
      '-c',
      writeConfig(
        withTopLevel(serviceConfigYaml({ databaseUrl, peers }), { http_client_timeout: `${TIMEOUT_MS / 1000}s` }),
      ),
    ]);
    await context.service.started();
    await until('metrics of every app', 20_000, async () => {
      const stored = await storedTimestamps(context.db.sql, EVERY_APP);
      return EVERY_APP.every((id) => stored.get(id)!.length >= 2) ? true : undefined;
    });
  }),
);

faults.after(async (context) => {
  await context.service?.stop('SIGKILL');
  await context.peers?.close();
  await bounded('closing the test database', 15_000, context.db?.close() ?? Promise.resolve());
});

faults(
  'logs 5xx answers with the app id after the retries, keeps the other apps going and recovers',
  async (context) => {
    const { from, to, lines } = await faultPhase(context, ERRORING, 'error', 2);
    assert.ok(
      lines.every(
        (l) => /unexpected status code 503/.test(String(l.error)) && /after 3 attempts/.test(String(l.error)),
      ),
      String(lines[0]?.error),
    );
    assert.ok(
      linesBetween(
        linesMatching(context.service!.logs, /log-cache request failed \(status 503\), retry \d+ in \d+ ms/),
        from,
        to,
      ).some((l) => l.sourceId === ERRORING && l.status === 503),
    );
    await noMetricsWhileFailing(context.db, ERRORING, Number(lines[0]!.time), to);
    await assertSteady(context.db, from, to);
  },
);

faults(
  'logs a garbage body as unreadable with the app id, keeps the other apps going and recovers',
  async (context) => {
    const { from, to, lines } = await faultPhase(context, GARBLED, 'garbage', 2);
    assert.ok(
      lines.every((l) => /unreadable body: not JSON \(<html>/.test(String(l.error))),
      String(lines[0]?.error),
    );
    await noMetricsWhileFailing(context.db, GARBLED, Number(lines[0]!.time), to);
    await assertSteady(context.db, from, to);
  },
);

faults(
  'ends a hanging read at the time-out without stalling the other apps or stacking reads for the app',
  async (context) => {
    const { from, to, lines } = await faultPhase(context, HANGING, 'hang', 1);
    assert.match(String(lines[0]!.error), `timed out after ${TIMEOUT_MS} ms`);
    assert.match(String(lines[0]!.error), 'failed after 3 attempts');
    // One attempt at a time for the app: each starts after the previous one timed out.
    const attempts = context.peers.logCache.requests.filter(
      (r) => r.sourceId === HANGING && r.at >= from && r.at <= to && r.status === undefined,
    );
    assert.ok(attempts.length >= 3, `${attempts.length} hung attempts`);
    for (let i = 1; i < attempts.length; i++)
      assert.ok(attempts[i]!.at - attempts[i - 1]!.at >= TIMEOUT_MS - 50, 'attempts overlap');
    await noMetricsWhileFailing(context.db, HANGING, Number(lines[0]!.time), to);
    await assertSteady(context.db, from, to);
  },
);

faults(
  'refreshes an expired token once (log-cache answers 404) without losing a metric',
  async ({ db, peers, service }) => {
    // given
    const from = Date.now();
    const issued = peers.uaa.registry.issuedCount();
    // when
    peers.uaa.registry.expire();
    await until('the token refresh', 15_000, () =>
      linesBetween(
        linesMatching(service!.logs, /log-cache rejected the token, refreshing it once/),
        from,
        Date.now(),
      ).at(0),
    );
    await until('metrics after the refresh', 15_000, async () => {
      const stored = await storedTimestamps(db.sql, EVERY_APP);
      return EVERY_APP.every((id) => within(stored.get(id)!, from + 2_500, Number.MAX_SAFE_INTEGER).length > 0)
        ? true
        : undefined;
    });
    const to = Date.now() - 1_500;
    // then
    assert.ok(
      peers.logCache.requests.some((r) => r.at >= from && r.status === 404),
      'log-cache rejected the expired token with 404',
    );
    assert.ok(peers.uaa.registry.issuedCount() > issued, 'a new token was fetched from UAA');
    assert.equal(linesBetween(linesMatching(service!.logs, FAILED), from, Date.now()), [], 'no read failed');
    await assertSteady(db, from, to);
  },
);

faults(
  'logs every app with the 404 while log-cache keeps rejecting fresh tokens, and recovers',
  async ({ db, peers, service }) => {
    // given
    const from = Date.now();
    const issued = peers.uaa.registry.issuedCount();
    // when
    rejectEveryToken = true;
    await until('a logged failure for every app', 20_000, () =>
      EVERY_APP.every((id) => failuresSince(service!, id, from).length > 0) ? true : undefined,
    );
    const to = Date.now();
    rejectEveryToken = false;
    for (const appId of EVERY_APP) await recovered(db, appId, to);
    // then
    for (const appId of EVERY_APP) {
      const [first] = failuresSince(service!, appId, from);
      assert.match(String(first!.error), /unexpected status code 404 from log-cache GET .*\/api\/v1\/read\//);
    }
    assert.ok(peers.uaa.registry.issuedCount() > issued, 'each rejection fetched a fresh token first');
    assert.not.ok(
      service!.logs.some((l) => JSON.stringify(l).includes('bearer ')),
      'no token reaches the log',
    );
  },
);

faults.run();
