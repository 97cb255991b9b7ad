import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import { copyFileSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { createScalingEngineClient } from '../../../../lib/adapters/scaling-engine/scaling-engine-client.ts';
import type { Trigger } from '../../../../lib/core/model/policy.ts';
import { createTestPki, startHttpServer, startHttpsServer, within } from './support/test-servers.ts';
import type { TestPki, TestServer } from './support/test-servers.ts';

const trigger: Trigger = {
  appId: 'testAppId',
  metricType: 'testMetricType',
  metricUnit: 'testMetricUnit',
  breachDurationSecs: 30,
  threshold: 500n,
  operator: '>',
  coolDownSecs: 300,
  adjustment: '+1',
};

// ---

const http = suite<{ server: TestServer }>('createScalingEngineClient over http', {
  server: undefined as unknown as TestServer,
});
http.before.each(async (ctx) => {
  ctx.server = await startHttpServer();
});
http.after.each(async (ctx) => {
  await ctx.server.close();
});

const reply = (status: number, body: string) => (_req: unknown, res: import('node:http').ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
};
const call = (server: TestServer, t: Trigger = trigger, timeoutMs = 2000) =>
  within(5000, createScalingEngineClient({ url: server.url, timeoutMs }).scale(t));

http('POSTs the trigger JSON to /v1/apps/{appId}/scale', async ({ server }) => {
  server.handle(reply(200, '{"app_id":"testAppId","status":0,"adjustment":1,"cool_down_expired_at":0}'));
  await call(server);
  assert.is(server.received.length, 1);
  const [req] = server.received;
  assert.is(req!.method, 'POST');
  assert.is(req!.url, '/v1/apps/testAppId/scale');
  assert.match(String(req!.headers['content-type']), /^application\/json/);
  assert.is(
    req!.body,
    '{"app_id":"testAppId","metric_type":"testMetricType","metric_unit":"testMetricUnit","breach_duration_secs":30,"threshold":500,"operator":">","cool_down_secs":300,"adjustment":"+1"}',
  );
});

http('writes an int64 threshold as a bare exact integer', async ({ server }) => {
  server.handle(reply(200, 'null'));
  await call(server, { ...trigger, threshold: 9223372036854775807n });
  assert.match(server.received[0]!.body, /"threshold":9223372036854775807,/);
});

http('drops a trailing slash of the base URL', async ({ server }) => {
  server.handle(reply(200, 'null'));
  await within(5000, createScalingEngineClient({ url: `${server.url}//`, timeoutMs: 2000 }).scale(trigger));
  assert.is(server.received[0]!.url, '/v1/apps/testAppId/scale');
});

http('a 200 result gives its cooldown expiry exactly, with adjustment and status', async ({ server }) => {
  server.handle(
    reply(200, '{"app_id":"testAppId","status":0,"adjustment":1,"cool_down_expired_at":1700000300000000001}'),
  );
  assert.equal(await call(server), {
    ok: true,
    status: 200,
    cooldownExpiredAt: 1700000300000000001n,
    adjustment: 1,
    scalingStatus: 0,
  });
});

http('a 200 result with cool_down_expired_at 0 says 0', async ({ server }) => {
  server.handle(reply(200, '{"app_id":"testAppId","status":2,"adjustment":0,"cool_down_expired_at":0}'));
  assert.equal(await call(server), { ok: true, status: 200, cooldownExpiredAt: 0n, adjustment: 0, scalingStatus: 2 });
});

http('a 200 object without the field is a success without cooldown', async ({ server }) => {
  server.handle(reply(200, '{"app_id":"testAppId"}'));
  assert.equal(await call(server), { ok: true, status: 200 });
});

http('a 200 null body is a success without cooldown', async ({ server }) => {
  server.handle(reply(200, 'null'));
  assert.equal(await call(server), { ok: true, status: 200 });
});

http('bodies that are not an AppScalingResult are a wrong response', async ({ server }) => {
  for (const body of [
    'succeed',
    '',
    '[]',
    '"ok"',
    '42',
    'true',
    '{"cool_down_expired_at":"x"}',
    '{"status":"0"}',
    '{"adjustment":1.5}',
    '{"app_id":7}',
  ]) {
    server.handle(reply(200, body));
    const r = await call(server);
    assert.is(r.ok, false, body);
    assert.is((r as { status?: number }).status, 200);
    assert.match((r as { error: string }).error, /^received wrong response/, body);
  }
});

http('a non-200 status is a failure naming the status', async ({ server }) => {
  for (const status of [400, 404, 500, 201, 204]) {
    server.handle(
      reply(status, status === 204 ? '' : '{"code":"Bad-Request","message":"Incorrect trigger in request body"}'),
    );
    assert.equal(await call(server), { ok: false, status, error: `got ${status} when sending trigger alarm` });
  }
});

http('a silent server is cut off at timeoutMs', async ({ server }) => {
  server.handle(() => undefined);
  const started = performance.now();
  const r = await within(3000, createScalingEngineClient({ url: server.url, timeoutMs: 300 }).scale(trigger));
  const took = performance.now() - started;
  assert.equal(r, { ok: false, error: 'request timed out after 300ms' });
  assert.ok(took >= 290 && took < 1500, `took ${took}ms`);
});

http('late headers and a body that never ends share one budget', async ({ server }) => {
  server.handle((_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"app_id":');
    }, 250);
  });
  const started = performance.now();
  const r = await within(3000, createScalingEngineClient({ url: server.url, timeoutMs: 400 }).scale(trigger));
  const took = performance.now() - started;
  assert.is(r.ok, false);
  assert.match((r as { error: string }).error, /timed out/);
  // one budget for headers and body together (250 ms + 400 ms would be one each)
  assert.ok(took < 600, `took ${took}ms`);
});

http('an aborted call ends at once as a failure', async ({ server }) => {
  server.handle(() => undefined);
  const abort = new AbortController();
  const pending = createScalingEngineClient({ url: server.url, timeoutMs: 5000 }).scale(trigger, abort.signal);
  setTimeout(() => abort.abort(), 50);
  assert.equal(await within(2000, pending), { ok: false, error: 'request aborted' });
});

http.run();

// ---

const unreachable = suite('createScalingEngineClient without a server');

unreachable('an unreachable scaling engine is a failure with the connection error', async () => {
  // A port that was just free: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = s.address() as { port: number };
      s.close(() => resolve(p));
    });
  });
  const r = await within(
    5000,
    createScalingEngineClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 2000 }).scale(trigger),
  );
  assert.is(r.ok, false);
  assert.match((r as { error: string }).error, /^request failed: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
});

unreachable('a malformed URL is a failure, not a throw', async () => {
  const r = await within(2000, createScalingEngineClient({ url: 'not a url', timeoutMs: 500 }).scale(trigger));
  assert.is(r.ok, false);
});

unreachable.run();

// ---

const tls = suite<{ pki: TestPki; server: TestServer }>('createScalingEngineClient over mTLS', {
  pki: undefined as unknown as TestPki,
  server: undefined as unknown as TestServer,
});
tls.before(async (ctx) => {
  ctx.pki = createTestPki();
});
tls.after(async (ctx) => {
  ctx.pki.remove();
});
tls.before.each(async (ctx) => {
  ctx.server = await startHttpsServer(ctx.pki);
  ctx.server.handle(reply(200, '{"app_id":"testAppId","status":0,"adjustment":1,"cool_down_expired_at":5}'));
});
tls.after.each(async (ctx) => {
  await ctx.server.close();
});

tls('presents the client certificate and trusts the configured CA', async ({ pki, server }) => {
  const client = createScalingEngineClient({
    url: server.url,
    timeoutMs: 3000,
    tls: { certFile: pki.clientCertFile, keyFile: pki.clientKeyFile, caFile: pki.caFile },
  });
  const r = await within(5000, client.scale(trigger));
  await client.close();
  assert.equal(r, { ok: true, status: 200, cooldownExpiredAt: 5n, adjustment: 1, scalingStatus: 0 });
  assert.is(server.received[0]!.clientCn, 'eventgenerator');
  assert.is(server.received[0]!.url, '/v1/apps/testAppId/scale');
});

tls('with only a CA file, trusts the server and sends no client certificate', async ({ pki, server }) => {
  const client = createScalingEngineClient({ url: server.url, timeoutMs: 3000, tls: { caFile: pki.caFile } });
  const r = await within(5000, client.scale(trigger));
  await client.close();
  assert.is(r.ok, true);
  assert.is(server.received[0]!.clientCn, undefined);
});

tls('trusts only the configured CA: another CA fails the handshake as a request error', async ({ pki, server }) => {
  const client = createScalingEngineClient({
    url: server.url,
    timeoutMs: 3000,
    tls: { certFile: pki.clientCertFile, keyFile: pki.clientKeyFile, caFile: pki.otherCaFile },
  });
  const r = await within(5000, client.scale(trigger));
  await client.close();
  assert.is(r.ok, false);
  assert.match((r as { error: string }).error, /^request failed: /);
  assert.is(server.received.length, 0);
});

tls('the timeout applies over mTLS too', async ({ pki, server }) => {
  server.handle(() => undefined);
  const client = createScalingEngineClient({
    url: server.url,
    timeoutMs: 300,
    tls: { certFile: pki.clientCertFile, keyFile: pki.clientKeyFile, caFile: pki.caFile },
  });
  const started = performance.now();
  const r = await within(3000, client.scale(trigger));
  const took = performance.now() - started;
  await client.close();
  assert.equal(r, { ok: false, error: 'request timed out after 300ms' });
  assert.ok(took < 1500, `took ${took}ms`);
});

tls('reloads the client certificate from its files when it expires within 5 minutes', async ({ pki, server }) => {
  const certFile = join(pki.dir, 'rotating.crt');
  const keyFile = join(pki.dir, 'rotating.key');
  copyFileSync(pki.clientCertFile, certFile);
  copyFileSync(pki.clientKeyFile, keyFile);
  const expiresAt = new X509Certificate(readFileSync(certFile)).validToDate.getTime();
  let now = expiresAt - 10 * 60_000;
  const client = createScalingEngineClient({
    url: server.url,
    timeoutMs: 3000,
    now: () => now,
    tls: { certFile, keyFile, caFile: pki.caFile },
  });

  await within(5000, client.scale(trigger));
  pki.issueClient('rotated', certFile, keyFile);
  await within(5000, client.scale(trigger)); // 10 minutes left: the loaded certificate is kept
  now = expiresAt - 4 * 60_000;
  await within(5000, client.scale(trigger)); // 4 minutes left: reloaded before the request
  await client.close();
  assert.equal(
    server.received.map((r) => r.clientCn),
    ['eventgenerator', 'eventgenerator', 'rotated'],
  );
});

tls('fails at creation, naming the file, when a TLS file is missing', ({ pki }) => {
  try {
    createScalingEngineClient({
      url: 'https://127.0.0.1:1',
      timeoutMs: 100,
      tls: { certFile: join(pki.dir, 'missing.crt'), keyFile: pki.clientKeyFile },
    });
    assert.unreachable('expected a throw');
  } catch (err) {
    assert.match((err as Error).message, /missing\.crt/);
  }
});

tls.run();
