import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openTestDatabase } from '../support/database.ts';
import { cpuGauges, serviceConfigYaml, startPeers } from '../support/peers.ts';
import type { Peers } from '../support/peers.ts';
import { spawnService, urlWithSchema, writeConfig } from '../support/service-process.ts';
import type { ServiceProcess } from '../support/service-process.ts';
import { largestGapMs, linesBetween, linesMatching, storedTimestamps, within } from '../support/service-output.ts';
import { bounded, until } from '../support/until.ts';
import { loudHook } from '../support/loud-hook.ts';
import { startRlpGatewayServer } from '../../lib/tools/simulation/rlp-gateway-server.ts';
import type { RlpGatewayServer } from '../../lib/tools/simulation/rlp-gateway-server.ts';
import type { Envelope } from '../../lib/core/model/envelope.ts';
import { msToNs } from '../../lib/core/time/ns.ts';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;
interface Context {
  db: Db;
  peers: Peers;
  gateway: RlpGatewayServer;
  publisher: NodeJS.Timeout;
  service?: ServiceProcess;
}

const APPS = ['stream-app-1', 'stream-app-2'];
let unavailable = false;

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

/** One rep emission per instance, as the gateway streams it (nanoseconds, every metric in one envelope). */
const emission = (appId: string, instance: number, cpu: number): Envelope => ({
  timestamp: msToNs(Date.now()) + 123n,
  sourceId: appId,
  instanceId: String(instance),
  tags: { origin: 'rep' },
  gauge: {
    cpu: { unit: 'percentage', value: cpu },
    memory: { unit: 'bytes', value: 300 * 1024 * 1024 },
    memory_quota: { unit: 'bytes', value: 1024 * 1024 * 1024 },
  },
});

const reads = ({ peers }: Context, appId: string) =>
  peers.logCache.requests.filter((r) => r.sourceId === appId && r.path.startsWith('/api/v1/read/'));

const recovered = (db: Db, appId: string, afterMs: number) =>
  until(`a new metric of ${appId}`, 20_000, async () => {
    const stored = await storedTimestamps(db.sql, [appId]);
    return within(stored.get(appId)!, afterMs, Number.MAX_SAFE_INTEGER).length > 0 ? true : undefined;
  });

const streaming = suite<Context>('log-cache streaming collection');

streaming.before(
  loudHook('setup', async (context: Context) => {
    context.db = await bounded('opening the test database', 30_000, openTestDatabase());
    const peers = await startPeers();
    context.peers = peers;
    context.gateway = await startRlpGatewayServer({
      host: '127.0.0.1',
      requireToken: (token) => peers.uaa.registry.check(token),
      decide: () => (unavailable ? 'unavailable' : undefined),
      heartbeatMs: 500,
    });
    // History before the service starts is only in log-cache: the backfill must bring it.
    for (const appId of APPS) peers.logCache.store.add(...cpuGauges(appId, 20, -50, 0));
    // From now on every emission goes to log-cache (split, as it stores them) and to the open streams.
    context.publisher = setInterval(() => {
      const emitted = APPS.flatMap((appId) => [emission(appId, 0, 30), emission(appId, 1, 40)]);
      for (const e of emitted)
        for (const [name, value] of Object.entries(e.gauge ?? {}))
          peers.logCache.store.add({ ...e, timestamp: e.timestamp - (e.timestamp % 1000n), gauge: { [name]: value } });
      context.gateway.publish(emitted);
    }, 250);
    for (const appId of APPS) {
      await context.db
        .sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES (${appId}, CAST(${quietPolicy}::text AS json), ${appId})`;
    }
    const databaseUrl = urlWithSchema(context.db.url, context.db.schema);
    const yaml = serviceConfigYaml({
      databaseUrl,
      peers,
      extra: 'logcache: { collection: streaming }',
    }).replace(/^ {2}metric_collector_url: .*$/m, (line) => `${line}\n  log_stream_url: "${context.gateway.url}"`);
    context.service = spawnService(['-c', writeConfig(yaml)]);
    await context.service.started();
    await until('metrics of every app', 20_000, async () => {
      const stored = await storedTimestamps(context.db.sql, APPS);
      return APPS.every((id) => stored.get(id)!.length >= 3) ? true : undefined;
    });
  }),
);

streaming.after(async (context) => {
  clearInterval(context.publisher);
  await context.service?.stop('SIGKILL');
  await context.gateway?.close();
  await context.peers?.close();
  await bounded('closing the test database', 15_000, context.db?.close() ?? Promise.resolve());
});

streaming('refreshes every app each interval from one stream after one backfill read per app', async (context) => {
  const { db, gateway } = context;
  const stored = await storedTimestamps(db.sql, APPS);
  for (const appId of APPS) {
    assert.ok(largestGapMs(stored.get(appId)!) < 2_200, `${appId}: gaps in its metrics`);
    // One read per app (the backfill), however many intervals have passed.
    assert.is(reads(context, appId).length, 1);
    assert.match(reads(context, appId)[0]!.params.get('name_filter') ?? '', /^cpu$/);
  }
  const streams = gateway.requests.filter((r) => r.status === 200);
  assert.is(streams.length, 1);
  assert.equal(streams[0]!.params.getAll('source_id').sort(), [...APPS].sort());
  assert.ok(streams[0]!.params.has('gauge'));
  assert.match(streams[0]!.authorization ?? '', /^bearer eyJ/);
});

streaming('reopens at once after closing, backfills again, and loses no interval', async (context) => {
  const { db, gateway, service } = context;
  const from = Date.now();
  gateway.closeStreams();
  await service!.waitForLog(
    (l) => /^log stream 1 ended \(closing: the stream timeout\); reopening in 0 ms$/.test(l.msg),
    10_000,
    'the closing line',
  );
  await until('a second backfill of each app', 10_000, () =>
    APPS.every((id) => reads(context, id).length === 2) ? true : undefined,
  );
  await new Promise((r) => setTimeout(r, 2_500));
  const stored = await storedTimestamps(db.sql, APPS);
  for (const appId of APPS) {
    const points = [BigInt(from) * 1_000_000n, ...within(stored.get(appId)!, from, Date.now())];
    assert.ok(largestGapMs(points) < 2_200, `${appId}: a gap across the reopen`);
  }
  assert.equal(linesMatching(service!.logs, /^retrieveMetric Failed/), []);
});

streaming('a refusing gateway (503) fails every app each interval, retries, and recovers', async (context) => {
  const { db, gateway, service } = context;
  unavailable = true;
  gateway.dropStreams();
  const failed = await service!.waitForLog(
    (l) =>
      /^log stream \d+ failed \(RLP gateway GET .*\/v2\/read \(2 source ids\) answered 503: streaming_unavailable: streaming is temporarily unavailable\)/.test(
        l.msg,
      ),
    15_000,
    'the 503 line',
  );
  await service!.waitForLog(
    (l) => l.appId === APPS[0] && /^retrieveMetric Failed \(no log stream: RLP gateway .* answered 503/.test(l.msg),
    15_000,
    'a failed app',
  );
  // Retried with back-off: more than one refused attempt while it lasts.
  await until('a retry', 10_000, () =>
    gateway.requests.filter((r) => r.status === 503).length >= 2 ? true : undefined,
  );
  const stoppedAt = Date.now();
  unavailable = false;
  for (const appId of APPS) await recovered(db, appId, stoppedAt);
  const stored = await storedTimestamps(db.sql, APPS);
  // No metric from a stream that was down: nothing between the first failure and the recovery.
  const firstFailure = Number(failed.time);
  for (const appId of APPS)
    assert.equal(within(stored.get(appId)!, firstFailure + 1_100, stoppedAt - 100), [], `${appId} while down`);
  assert.ok(linesBetween(linesMatching(service!.logs, /^log stream \d+ failed/), firstFailure, stoppedAt).length >= 2);
});

streaming('skips data it cannot read with a warning and keeps the stream', async (context) => {
  const { gateway, service, db } = context;
  const from = Date.now();
  gateway.sendRaw('data: {"batch":[{"timestamp":\n\n');
  await service!.waitForLog(
    (l) => /^log stream data skipped \(stream data is not JSON/.test(l.msg),
    10_000,
    'the malformed-data line',
  );
  for (const appId of APPS) await recovered(db, appId, Date.now());
  assert.equal(linesBetween(linesMatching(service!.logs, /^log stream \d+ (ended|failed)/), from, Date.now()), []);
});

streaming.run();
