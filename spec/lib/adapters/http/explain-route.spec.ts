import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { asyncScheduler, of } from 'rxjs';
import { explainRoutes } from '../../../../lib/adapters/http/explain-route.ts';
import type { ExplainRouteDeps } from '../../../../lib/adapters/http/explain-route.ts';
import { startHttpServers } from '../../../../lib/adapters/http/servers.ts';
import { createMetricsRegistry } from '../../../../lib/adapters/http/metrics-registry.ts';
import { defaultConfig } from '../../../../lib/adapters/config/schema.ts';
import { silentLogger } from '../../../../lib/adapters/log/logger.ts';
import type { JournalEntry } from '../../../../lib/core/model/decision-journal.ts';
import type { Explanation } from '../../../../lib/core/explain/explain-app.ts';
import { createCertificateFactory } from './test-certificates.ts';
import { get } from './test-server.ts';

const certs = createCertificateFactory();
const defaults = defaultConfig();
const NO_TLS = { key_file: '', cert_file: '', ca_file: '' };
const ENTRY: JournalEntry = {
  appId: 'an-app',
  at: 1_796_000_000_123_456_789n,
  event: 'scaling-answered',
  ruleIndex: 0,
  metricType: 'cpu',
  values: ['91'],
  reason: 'scaled by +1 instance(s)',
  detail: { ok: true, cooldownUntil: 1_796_000_300_123_456_789n, consecutiveFailures: 0 },
};

const start = async (deps: Partial<ExplainRouteDeps>) => {
  const asked: string[] = [];
  const routes = explainRoutes({
    explain: async (appId) => ({ ok: false, reason: `No policy found for app ${appId}` }),
    decisions: async (appId, start, end, order) => {
      asked.push(`${appId} ${start} ${end} ${order}`);
      return [ENTRY];
    },
    logger: silentLogger(),
    ...deps,
  });
  const servers = await startHttpServers(
    {
      server: { ...defaults.server, port: 0, tls: NO_TLS },
      cf_server: { ...defaults.cf_server, port: 0, xfcc: { valid_org_guid: 'org', valid_space_guid: 'space' } },
      health: { ...defaults.health, server_config: { port: 0, tls: NO_TLS } },
      cfMode: false,
      host: '127.0.0.1',
      internalPortZero: 'ephemeral',
    },
    {
      queryAppMetrics: () => of([]),
      metrics: createMetricsRegistry({ collectDefaults: false }),
      logger: silentLogger(),
      scheduler: asyncScheduler,
      routes,
    },
  );
  return {
    servers,
    asked,
    cf: `http://127.0.0.1:${servers.ports.cf}`,
    internal: `http://127.0.0.1:${servers.ports.internal}`,
  };
};
const xfcc = { 'X-Forwarded-Client-Cert': certs.xfcc('/OU=space:space+OU=organization:org/CN=x') };

const test = suite('explain and decisions routes');

test('sit behind the same XFCC check as the history route on the CF server, and are open on the internal one', async () => {
  const { servers, cf, internal } = await start({});
  try {
    assert.is((await get(`${cf}/v1/apps/an-app/decisions`)).status, 401);
    assert.is((await get(`${cf}/v1/apps/an-app/explain`)).status, 401);
    assert.is((await get(`${cf}/v1/apps/an-app/decisions`, { headers: xfcc })).status, 200);
    assert.is((await get(`${internal}/v1/apps/an-app/decisions`)).status, 200);
  } finally {
    await servers.close();
  }
});

test('decisions: the journal entries on the wire, ns timestamps exact, query passed on', async () => {
  const { servers, internal, asked } = await start({});
  try {
    const res = await get(`${internal}/v1/apps/an-app/decisions?start=5&end=10&order=desc`);
    assert.is(res.headers.get('content-type'), 'application/json');
    assert.is(
      await res.text(),
      '[{"app_id":"an-app","timestamp":1796000000123456789,"event":"scaling-answered","rule_index":0,"metric_type":"cpu","values":["91"],"reason":"scaled by +1 instance(s)","detail":{"ok":true,"cooldown_until":1796000300123456789,"consecutive_failures":0}}]',
    );
    assert.equal(asked, ['an-app 5 10 DESC']);
  } finally {
    await servers.close();
  }
});

test('a failing journal read is a 500 in the anchor error style; no policy is a 404', async () => {
  const { servers, internal } = await start({
    decisions: async () => {
      throw new Error('database down');
    },
  });
  try {
    const failed = await get(`${internal}/v1/apps/an-app/decisions`);
    assert.is(failed.status, 500);
    assert.is(await failed.text(), '{"code":"Internal-Server-Error","message":"Error getting decisions"}');
    const missing = await get(`${internal}/v1/apps/an-app/explain`);
    assert.is(missing.status, 404);
    assert.is(await missing.text(), '{"code":"Not-Found","message":"No policy found for app an-app"}');
  } finally {
    await servers.close();
  }
});

test('explain: the explanation as JSON with exact int64 fields', async () => {
  const explanation = { app_id: 'an-app', at: 1_796_000_000_123_456_789n } as unknown as Explanation;
  const { servers, internal } = await start({ explain: async () => ({ ok: true, explanation }) });
  try {
    const res = await get(`${internal}/v1/apps/an-app/explain`);
    assert.is(res.status, 200);
    assert.is(await res.text(), '{"app_id":"an-app","at":1796000000123456789}');
  } finally {
    await servers.close();
  }
});

test.run();
