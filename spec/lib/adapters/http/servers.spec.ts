import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Subject, asyncScheduler, of, take } from 'rxjs';
import type { Observable } from 'rxjs';
import { startHttpServers } from '../../../../lib/adapters/http/servers.ts';
import type { HttpServersOptions } from '../../../../lib/adapters/http/servers.ts';
import { createMetricsRegistry } from '../../../../lib/adapters/http/metrics-registry.ts';
import { defaultConfig } from '../../../../lib/adapters/config/schema.ts';
import { silentLogger } from '../../../../lib/adapters/log/logger.ts';
import type { AppMetric } from '../../../../lib/core/model/app-metric.ts';
import { createCertificateFactory } from './test-certificates.ts';
import { get, rawRequest } from './test-server.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const certs = createCertificateFactory();
const defaults = defaultConfig();
const NO_TLS = { key_file: '', cert_file: '', ca_file: '' };
const LIVENESS = '/v1/liveness';
const HISTORY = '/v1/apps/an-app-id/aggregated_metric_histories/a-metric-type';

interface Overrides {
  readonly xfcc?: { readonly valid_org_guid: string; readonly valid_space_guid: string };
  readonly basicAuth?: typeof defaults.health.basic_auth;
  readonly cfMode?: boolean;
  readonly serverPort?: number;
  readonly internalPortZero?: 'skip' | 'ephemeral';
  readonly serverTls?: typeof NO_TLS;
  readonly cfPort?: number;
  readonly shutdownGraceMs?: number;
}

const start = (overrides: Overrides = {}, reader: () => Observable<AppMetric[]> = () => of([])) => {
  const metrics = createMetricsRegistry({ collectDefaults: false });
  const options: HttpServersOptions = {
    server: { ...defaults.server, port: overrides.serverPort ?? 0, tls: overrides.serverTls ?? NO_TLS },
    cf_server: {
      ...defaults.cf_server,
      port: overrides.cfPort ?? 0,
      xfcc: overrides.xfcc ?? { valid_org_guid: 'validorg', valid_space_guid: 'validspace' },
    },
    health: {
      ...defaults.health,
      server_config: { port: 0, tls: NO_TLS },
      basic_auth: overrides.basicAuth ?? defaults.health.basic_auth,
    },
    cfMode: overrides.cfMode ?? false,
    host: '127.0.0.1',
    internalPortZero: overrides.internalPortZero ?? 'ephemeral',
    ...(overrides.shutdownGraceMs !== undefined ? { shutdownGraceMs: overrides.shutdownGraceMs } : {}),
  };
  return startHttpServers(options, {
    queryAppMetrics: () => reader(),
    metrics,
    logger: silentLogger(),
    scheduler: asyncScheduler,
  }).then((s) => ({ ...s, metrics }));
};

const xfccHeader = (space: string, org: string) => ({
  'X-Forwarded-Client-Cert': certs.xfcc(`/OU=space:${space}+OU=organization:${org}/CN=x`),
});
const basic = (user: string, pass: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
});

// ---
const cf = suite('startHttpServers CF server');

cf('requires XFCC on /v1 when an org is configured', async () => {
  const servers = await start();
  const cfBase = `http://127.0.0.1:${servers.ports.cf}`;
  try {
    assert.is(servers.xfccEnforced, true);
    const none = await get(`${cfBase}${HISTORY}`);
    assert.is(none.status, 401);
    assert.is(none.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.is(await none.text(), 'Unauthorized\n');
    assert.is((await get(`${cfBase}${HISTORY}`, { headers: xfccHeader('validspace', 'validorg') })).status, 200);
    assert.is((await get(`${cfBase}${HISTORY}`, { headers: xfccHeader('validspace', 'wrong-org-guid') })).status, 401);
    assert.is((await get(`${cfBase}${HISTORY}`, { headers: xfccHeader('wrong-space-guid', 'validorg') })).status, 401);
    assert.is((await get(`${cfBase}${HISTORY}`, { headers: { 'X-Forwarded-Client-Cert': 'not base64' } })).status, 401);
    assert.is((await get(`${cfBase}${LIVENESS}`)).status, 401);
    const live = await get(`${cfBase}${LIVENESS}`, { headers: xfccHeader('validspace', 'validorg') });
    assert.is(live.status, 200);
    assert.is(await live.text(), '');
  } finally {
    await servers.close();
  }
});

cf('checks only the org when no space is configured', async () => {
  const servers = await start({ xfcc: { valid_org_guid: 'validorg', valid_space_guid: '' } });
  const cfBase = `http://127.0.0.1:${servers.ports.cf}`;
  try {
    assert.is((await get(`${cfBase}${LIVENESS}`, { headers: xfccHeader('any-space-guid', 'validorg') })).status, 200);
    assert.is(
      (await get(`${cfBase}${LIVENESS}`, { headers: xfccHeader('any-space-guid', 'wrong-org-guid') })).status,
      401,
    );
  } finally {
    await servers.close();
  }
});

cf('answers unmatched paths and other methods without an auth check', async () => {
  const servers = await start();
  try {
    const missing = await get(`http://127.0.0.1:${servers.ports.cf}/v1/unknown`);
    assert.is(missing.status, 404);
    assert.is(await missing.text(), '404 page not found\n');
    assert.is((await rawRequest(servers.ports.cf, 'POST', HISTORY)).status, 405);
    assert.is((await rawRequest(servers.ports.cf, 'GET', '/v1//liveness')).status, 301);
  } finally {
    await servers.close();
  }
});

cf('enforces XFCC on Cloud Foundry even with an empty org', async () => {
  const servers = await start({ cfMode: true, xfcc: { valid_org_guid: '', valid_space_guid: '' } });
  try {
    assert.is(servers.xfccEnforced, true);
    assert.is((await get(`http://127.0.0.1:${servers.ports.cf}${LIVENESS}`)).status, 401);
  } finally {
    await servers.close();
  }
});

cf('leaves /v1 open off Cloud Foundry when no org is configured', async () => {
  const servers = await start({ xfcc: { valid_org_guid: '', valid_space_guid: 'validspace' } });
  try {
    assert.is(servers.xfccEnforced, false);
    assert.is((await get(`http://127.0.0.1:${servers.ports.cf}${HISTORY}`)).status, 200);
  } finally {
    await servers.close();
  }
});

cf('serves /health* through the health router with basic auth', async () => {
  const servers = await start({ basicAuth: { ...defaults.health.basic_auth, username: 'user', password: 'password' } });
  const cfBase = `http://127.0.0.1:${servers.ports.cf}`;
  try {
    const ok = await get(`${cfBase}/health`, { headers: basic('user', 'password') });
    assert.is(ok.status, 200);
    assert.ok((await ok.text()).includes('autoscaler_eventgenerator_concurrent_http_request'));
    assert.is((await get(`${cfBase}/health`, { headers: basic('user', 'wrong') })).status, 401);
    assert.is((await get(`${cfBase}/healthz`, { headers: basic('user', 'password') })).status, 200);
    assert.is((await get(`${cfBase}/debug/pprof`, { headers: basic('user', 'password') })).status, 404);
  } finally {
    await servers.close();
  }
});

cf('counts in-flight /v1 requests in the concurrent-request gauge', async () => {
  const answer = new Subject<AppMetric[]>();
  const servers = await start({ xfcc: { valid_org_guid: '', valid_space_guid: '' } }, () => answer.pipe(take(1)));
  const healthBase = `http://127.0.0.1:${servers.ports.health}`;
  try {
    const pending = get(`http://127.0.0.1:${servers.ports.cf}${HISTORY}`);
    await sleep(100);
    assert.match(
      await (await get(`${healthBase}/metrics`)).text(),
      /^autoscaler_eventgenerator_concurrent_http_request 1$/m,
    );
    answer.next([]);
    assert.is((await pending).status, 200);
    await sleep(50);
    assert.match(
      await (await get(`${healthBase}/metrics`)).text(),
      /^autoscaler_eventgenerator_concurrent_http_request 0$/m,
    );
  } finally {
    await servers.close();
  }
});

// ---
const others = suite('startHttpServers health and internal servers');

others('serves the health router on the health port', async () => {
  const servers = await start();
  try {
    const res = await get(`http://127.0.0.1:${servers.ports.health}/anything`);
    assert.is(res.status, 200);
    assert.is(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores');
  } finally {
    await servers.close();
  }
});

others('serves /v1 without XFCC on the internal server', async () => {
  const servers = await start();
  try {
    assert.ok(servers.ports.internal !== undefined && servers.internalServer !== undefined);
    assert.is((await get(`http://127.0.0.1:${servers.ports.internal}${LIVENESS}`)).status, 200);
    assert.is((await get(`http://127.0.0.1:${servers.ports.internal}/health`)).status, 404);
  } finally {
    await servers.close();
  }
});

others('skips the internal server when server.port is 0', async () => {
  const servers = await start({ internalPortZero: 'skip' });
  try {
    assert.is(servers.internalServer, undefined);
    assert.is(servers.ports.internal, undefined);
  } finally {
    await servers.close();
  }
});

const httpsGet = (port: number, path: string, tls: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, ...tls, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });

others('serves TLS on the internal server and requires client certificates with a CA', async () => {
  const set = certs.tlsSet();
  const servers = await start({
    serverTls: { key_file: set.serverKey, cert_file: set.serverCert, ca_file: set.caFile },
  });
  const port = servers.ports.internal ?? 0;
  const ca = readFileSync(set.caFile);
  try {
    assert.is(
      await httpsGet(port, LIVENESS, { ca, cert: readFileSync(set.clientCert), key: readFileSync(set.clientKey) }),
      200,
    );
    let failed = false;
    await httpsGet(port, LIVENESS, { ca }).catch(() => (failed = true));
    assert.ok(failed, 'a client without a certificate is refused');
  } finally {
    await servers.close();
  }
});

others('fails to start on an unreadable TLS file, naming the key', async () => {
  try {
    await start({ serverTls: { key_file: '/nonexistent/key.pem', cert_file: '/nonexistent/cert.pem', ca_file: '' } });
    assert.unreachable('expected a failure');
  } catch (err) {
    assert.match((err as Error).message, "cannot read server.tls.key_file '/nonexistent/key.pem'");
  }
});

others('fails to start on a taken port and closes what it opened', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const taken = (blocker.address() as AddressInfo).port;
  try {
    await start({ serverPort: taken });
    assert.unreachable('expected a failure');
  } catch (err) {
    assert.match((err as Error).message, 'EADDRINUSE');
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
});

// ---
const lifecycle = suite('startHttpServers lifecycle');

lifecycle('lets an in-flight request finish on close', async () => {
  const answer = new Subject<AppMetric[]>();
  const servers = await start({ xfcc: { valid_org_guid: '', valid_space_guid: '' } }, () => answer.pipe(take(1)));
  const pending = get(`http://127.0.0.1:${servers.ports.cf}${HISTORY}`);
  await sleep(100);
  let closed = false;
  const closing = servers.close().then(() => (closed = true));
  await sleep(50);
  assert.is(closed, false);
  answer.next([]);
  const res = await pending;
  assert.is(res.status, 200);
  assert.is(await res.text(), '[]');
  await closing;
  assert.ok(closed);
});

lifecycle('cuts requests that outlive the grace period', async () => {
  const servers = await start(
    { xfcc: { valid_org_guid: '', valid_space_guid: '' }, shutdownGraceMs: 200 },
    () => new Subject<AppMetric[]>(),
  );
  const pending = get(`http://127.0.0.1:${servers.ports.cf}${HISTORY}`).then(
    () => 'answered',
    () => 'cut',
  );
  await sleep(100);
  const began = Date.now();
  await servers.close();
  assert.ok(Date.now() - began < 2000);
  assert.is(await pending, 'cut');
});

lifecycle('hands upgrade requests to the attached handler and cuts upgraded sockets on close', async () => {
  const servers = await start({ shutdownGraceMs: 200 });
  const seen: string[] = [];
  servers.onUpgrade((req, socket) => {
    seen.push(req.url ?? '');
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n');
  });
  const client = connect(servers.ports.cf, '127.0.0.1');
  const ended = new Promise<void>((resolve) => client.on('close', () => resolve()));
  const switched = new Promise<string>((resolve) => client.once('data', (d) => resolve(d.toString())));
  client.write('GET /v1/live HTTP/1.1\r\nHost: x\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n');
  assert.match(await switched, '101 Switching Protocols');
  assert.equal(seen, ['/v1/live']);
  await servers.close();
  const timedOut = await Promise.race([
    ended.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 2000)),
  ]);
  assert.is(timedOut, false);
});

lifecycle.after(() => certs.cleanup());

cf.run();
others.run();
lifecycle.run();
