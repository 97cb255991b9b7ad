import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseEnvelope } from '../../../../lib/core/envelope/parse-envelope.ts';
import { silentLogger } from '../../../../lib/adapters/log/logger.ts';
import { createLogCacheClient } from '../../../../lib/adapters/logcache/logcache-client.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';
import { readRecording } from '../../../../lib/tools/recording/read-recording.ts';
import { recordFromLogCache } from '../../../../lib/tools/recording/record-logcache.ts';
import { createRecordingWriter } from '../../../../lib/tools/recording/write-recording.ts';
import { startLogCacheServer } from '../../../../lib/tools/simulation/logcache-server.ts';
import { startUaaServer } from '../../../../lib/tools/simulation/uaa-server.ts';
import { createClientCredentialsProvider } from '../../../../lib/adapters/uaa/client-credentials-provider.ts';
import { msToNs } from '../../../../lib/core/time/ns.ts';
import { FIXTURE_DIR } from '../../../lib/core/envelope/fixtures/load-fixture.ts';

const run = promisify(execFile);
const S = 1_000_000_000n;
const T0 = 1_731_578_400n * S;
const gauge = (app: string, at: bigint, value: number): Envelope => ({
  timestamp: at,
  sourceId: app,
  instanceId: '0',
  tags: {},
  gauge: { cpu: { unit: 'percentage', value } },
});
const timer = (app: string, at: bigint): Envelope => ({
  timestamp: at,
  sourceId: app,
  instanceId: '1',
  tags: { peer_type: 'Client' },
  timer: { name: 'http', start: at - 5_000_000n, stop: at },
});
const log = (app: string, at: bigint): Envelope => ({ timestamp: at, sourceId: app, instanceId: '0', tags: {} });

const readBack = async (path: string) => {
  const out: Envelope[] = [];
  for await (const entry of readRecording(path, { parseEnvelope })) {
    assert.ok(entry.ok, entry.ok ? '' : `line ${entry.line}: ${entry.reason}`);
    if (entry.ok) out.push(entry.envelope);
  }
  return out;
};

const servers = async () => {
  const uaa = await startUaaServer({
    clients: [{ id: 'recorder', secret: 's3cret', grants: ['client_credentials', 'password'], scopes: ['logs.admin'] }],
    users: [{ username: 'ops', password: 'pw' }],
  });
  const logcache = await startLogCacheServer({ requireToken: (authorization) => uaa.registry.check(authorization) });
  return {
    uaa,
    logcache,
    async close() {
      await logcache.close();
      await uaa.close();
    },
  };
};

const dirs: string[] = [];
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'record-'));
  dirs.push(d);
  return d;
};

// ---
const record = suite('recordFromLogCache');
record.after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

record('polls each app until the window is covered and writes one ordered recording', async () => {
  const peers = await servers();
  try {
    // given: two apps, gauges and timers over 60 s, plus a log line that is not recorded
    for (let s = 0n; s < 60n; s += 5n)
      peers.logcache.store.add(
        gauge('app-a', T0 + s * S + 1000n, Number(s)),
        timer('app-b', T0 + s * S + 2000n),
        log('app-a', T0 + s * S + 3000n),
      );
    peers.logcache.store.add(gauge('app-a', T0 + 61n * S, 99)); // after the window
    const clock = { now: T0 + 10n * S };
    const auth = createClientCredentialsProvider({
      url: peers.uaa.url,
      clientId: 'recorder',
      clientSecret: 's3cret',
      now: () => clock.now,
    });
    const client = createLogCacheClient({
      url: peers.logcache.url,
      auth,
      timeoutMs: 5000,
      retry: { limit: 0, initialMs: 10, maxMs: 10 },
      concurrency: 2,
    });
    let failOnce = true;
    const path = join(await tempDir(), 'live.ndjson.gz');
    const writer = await createRecordingWriter(path);

    // when: the first read of app-b fails, and each sleep moves the clock by a poll interval
    const stats = await recordFromLogCache({
      read: async (app, window) => {
        if (app === 'app-b' && failOnce) {
          failOnce = false;
          throw new Error('503 from log-cache');
        }
        return client.readAll(app, window);
      },
      apps: ['app-a', 'app-b'],
      fromNs: T0,
      toNs: T0 + 60n * S,
      pollIntervalMs: 20_000,
      lagMs: 5_000,
      envelopeTypes: ['GAUGE', 'TIMER'],
      now: () => clock.now,
      sleep: async (ms) => {
        clock.now += msToNs(ms);
      },
      write: writer.write,
      logger: silentLogger(),
      deadlineNs: T0 + 600n * S,
      maxFailedPolls: 3,
    });
    await writer.close();
    await client.close();

    // then
    const envelopes = await readBack(path);
    assert.is(stats.envelopes, 24);
    assert.is(stats.failedReads, 1);
    assert.is(stats.polls, 4);
    assert.is(envelopes.length, 24);
    assert.equal(
      envelopes.map((e) => e.timestamp),
      [...envelopes.map((e) => e.timestamp)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    assert.equal(envelopes.filter((e) => e.timer).length, 12);
    assert.ok(envelopes.every((e) => e.timestamp >= T0 && e.timestamp < T0 + 60n * S));
    assert.ok(peers.logcache.requests.every((r) => r.params.getAll('envelope_types').join() === 'GAUGE,TIMER'));
    assert.is(peers.uaa.requests.length, 1);
  } finally {
    await peers.close();
  }
});

// ---
const cli = suite('scripts/record.ts');
cli.after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const node = process.execPath;

cli('records live from log-cache with the password grant', async () => {
  const peers = await servers();
  try {
    const now = msToNs(Date.now());
    for (let s = 1n; s <= 20n; s += 1n) peers.logcache.store.add(gauge('app-live', now - s * S, Number(s)));
    const path = join(await tempDir(), 'cli.ndjson');
    const { stdout } = await run(
      node,
      [
        'scripts/record.ts',
        '--out',
        path,
        '--logcache-url',
        peers.logcache.url,
        '--uaa-url',
        peers.uaa.url,
        '--client-id',
        'recorder',
        '--client-secret',
        's3cret',
        '--username',
        'ops',
        '--password',
        'pw',
        '--app',
        'app-live',
        '--since',
        '30s',
        '--duration',
        '300ms',
        '--poll-interval',
        '100ms',
        '--lag',
        '0s',
        '--log-level',
        'silent',
      ],
      { timeout: 30_000 },
    );
    assert.match(stdout, /20 envelopes from 1 app\(s\)/);
    assert.is((await readBack(path)).length, 20);
    assert.is(peers.uaa.requests[0]?.form['grant_type'], 'password');
  } finally {
    await peers.close();
  }
});

cli('converts read-response dumps into one ordered recording', async () => {
  const fixtures = FIXTURE_DIR;
  const path = join(await tempDir(), 'dump.ndjson.gz');
  const { stdout } = await run(
    node,
    [
      'scripts/record.ts',
      '--out',
      path,
      '--from-dump',
      `${fixtures}/read-http-timers.json`,
      '--from-dump',
      `${fixtures}/read-container-gauges.json`,
      '--from-dump',
      `${fixtures}/read-logs-counters-events.json`,
    ],
    { timeout: 30_000 },
  );
  assert.match(stdout, /28 envelopes, 4 log\/event envelopes left out/);
  const envelopes = await readBack(path);
  assert.is(envelopes.length, 28);
  for (let i = 1; i < envelopes.length; i += 1)
    assert.ok(envelopes[i - 1]!.timestamp <= envelopes[i]!.timestamp, `order at ${i}`);
});

cli('fails clearly on a dump that is not a read response, leaving no file', async () => {
  const dir = await tempDir();
  const path = join(dir, 'bad.ndjson');
  try {
    await run(node, ['scripts/record.ts', '--out', path, '--from-dump', join(FIXTURE_DIR, 'promql-throughput.json')], {
      timeout: 30_000,
    });
    assert.unreachable('should have failed');
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    assert.is(e.code, 1);
    assert.match(e.stderr ?? '', /promql-throughput\.json: not a log-cache read response: .*no "envelopes" field/);
  }
  const { readdir } = await import('node:fs/promises');
  assert.equal(await readdir(dir), []);
});

cli('refuses incomplete live options with a usage message', async () => {
  try {
    await run(node, ['scripts/record.ts', '--out', '/tmp/x.ndjson', '--logcache-url', 'http://127.0.0.1:1'], {
      timeout: 30_000,
    });
    assert.unreachable('should have failed');
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    assert.is(e.code, 2);
    assert.match(e.stderr ?? '', /at least one --app is required/);
  }
});

record.run();
cli.run();
