import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { openTestDatabase } from '../support/database.ts';
import { spawnService, urlWithSchema, writeConfig } from '../support/service-process.ts';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;
interface Context {
  db: Db;
  url: string;
}

const root = join(import.meta.dirname, '..', '..');
const example = (name: string) => readFileSync(join(root, 'config', name), 'utf8');
/** Several people run specs on this machine at once: the examples' fixed ports become ephemeral ones. */
const ephemeralPorts = (yaml: string) => yaml.replace(/^(\s*port:) \d+$/gm, '$1 0');

const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
};

const cfEnv = (credentials: unknown, databaseUrl: string, more: Record<string, string> = {}) => ({
  VCAP_APPLICATION: JSON.stringify({ application_id: 'eg', organization_id: 'org-1', space_id: 'space-1' }),
  VCAP_SERVICES: JSON.stringify({
    'user-provided': [
      { name: 'eventgenerator-config', tags: ['eventgenerator-config'], credentials },
      { name: 'autoscaler-database', tags: ['policy_db', 'appmetrics_db'], credentials: { uri: databaseUrl } },
    ],
  }),
  PORT: '0',
  CF_INSTANCE_INDEX: '3',
  CF_INSTANCE_GUID: 'c0ffee00-0000-4000-8000-000000000003',
  ...more,
});

const examples = suite<Context>('the configuration examples start as they are');
examples.before(async (context) => {
  context.db = await openTestDatabase();
  context.url = urlWithSchema(context.db.url, context.db.schema);
});
examples.after(async (context) => {
  await context.db.close();
});

examples('config/eventgenerator.example.yml, with DATABASE_URL for the database', async ({ url }) => {
  const service = spawnService(['-c', writeConfig(ephemeralPorts(example('eventgenerator.example.yml')))], {
    DATABASE_URL: url,
  });
  try {
    const line = await service.started();
    // the start-up line names the instance, the membership and the peers' hosts, never credentials
    assert.match(
      line.msg,
      /^eventgenerator started: instance 0, static shard 0 of 1; log-cache log-cache\.sys\.example\.com, scaling engine scalingengine\.sys\.example\.com, database 127\.0\.0\.1:\d+\//,
    );
    assert.is(line.membership, 'static');
    assert.not.match(service.stdout(), /change-me/);
    assert.is(await service.stop('SIGTERM', 15_000), 0);
  } finally {
    await service.stop('SIGKILL');
  }
});

examples('config/eventgenerator-config.example.json as the credential of a bound service on CF', async ({ url }) => {
  const credentials = JSON.parse(example('eventgenerator-config.example.json')) as Record<string, unknown>;
  const service = spawnService([], cfEnv(credentials, url));
  try {
    const line = await service.started();
    assert.match(
      line.msg,
      /^eventgenerator started: instance 3 \(c0ffee00-0000-4000-8000-000000000003\), apps shared by leases in the policy database; log-cache log-cache\.sys\.example\.com, scaling engine autoscaler-cf-scalingengine\.apps\.example\.com, database 127\.0\.0\.1:\d+\//,
    );
    assert.is(line.membership, 'lease', 'leases by default on Cloud Foundry');
    assert.not.match(service.stdout(), /change-me/);
    assert.is(await service.stop('SIGTERM', 15_000), 0);
  } finally {
    await service.stop('SIGKILL');
  }
});

examples('a config with only the peers and the databases starts', async ({ url }) => {
  const yaml = `db:
  policy_db: { url: "${url}" }
  appmetrics_db: { url: "${url}" }
metricCollector: { metric_collector_url: "http://127.0.0.1:${await closedPort()}" }
scalingEngine: { scaling_engine_url: "http://127.0.0.1:${await closedPort()}" }
server: { port: 0 }
cf_server: { port: 0 }
health: { server_config: { port: 0 } }
`;
  const service = spawnService(['-c', writeConfig(yaml)]);
  try {
    await service.started();
    assert.is(await service.stop('SIGTERM', 15_000), 0);
  } finally {
    await service.stop('SIGKILL');
  }
});

examples('on CF, pool keys in a lease-mode config are accepted and logged as unused', async ({ url }) => {
  const service = spawnService([], cfEnv({ 'eventgenerator-config': JSON.parse(minimalCredential) }, url));
  try {
    await service.started();
    const unused = service.logs.find((l) => /^pool\.total_instances .* is not used/.test(l.msg));
    assert.ok(unused, 'pool.total_instances is reported as unused');
    assert.match(unused!.msg, /service 'eventgenerator-config'/);
    assert.is(await service.stop('SIGTERM', 15_000), 0);
  } finally {
    await service.stop('SIGKILL');
  }
});

const minimalCredential = JSON.stringify({
  pool: { total_instances: 2 },
  health: { server_config: { port: 0 } },
  metricCollector: { metric_collector_url: 'http://127.0.0.1:1' },
  scalingEngine: { scaling_engine_url: 'http://127.0.0.1:1' },
});

examples.run();

// ---
const errors = suite('start-up errors name their source and key');

errors('a bad value in the bound service names the service and the key, not an empty file name', async () => {
  const credentials = { 'eventgenerator-config': { ...JSON.parse(minimalCredential), http_client_timeout: 'soon' } };
  const service = spawnService([], cfEnv(credentials, 'postgres://u:p@127.0.0.1:1/db'));
  assert.is(await service.exited(), 1);
  const out = service.stdout();
  assert.not.match(out, "config file ''");
  assert.match(
    out,
    "failed to read configuration from the eventgenerator-config credential of service 'eventgenerator-config' (tag eventgenerator-config) : ",
  );
  assert.match(out, 'http_client_timeout');
});

errors('a validation failure names the key and the file it came from', async () => {
  const path = writeConfig(
    'db: { policy_db: { url: "postgres://x/y" }, appmetrics_db: { url: "postgres://x/y" } }\n' +
      'metricCollector: { metric_collector_url: "http://x" }\nscalingEngine: { scaling_engine_url: "http://x" }\n' +
      'defaultBreachDurationSecs: 30\n',
  );
  const service = spawnService(['-c', path]);
  assert.is(await service.exited(), 1);
  assert.match(
    service.stdout(),
    `failed to validate configuration : Configuration error: defaultBreachDurationSecs should be between 60 and 3600 [key defaultBreachDurationSecs, from config file '${path}']`,
  );
});

errors('an unreachable database at start exits 1 naming host:port/db and no credentials', async () => {
  const port = await closedPort();
  const yaml = `db:
  policy_db: { url: "postgres://eguser:s3cr3t@127.0.0.1:${port}/policies" }
  appmetrics_db: { url: "postgres://eguser:s3cr3t@127.0.0.1:${port}/policies" }
metricCollector: { metric_collector_url: "http://127.0.0.1:1" }
scalingEngine: { scaling_engine_url: "http://127.0.0.1:1" }
server: { port: 0 }
cf_server: { port: 0 }
health: { server_config: { port: 0 } }
`;
  const service = spawnService(['-c', writeConfig(yaml)]);
  assert.is(await service.exited(), 1);
  const out = service.stdout();
  assert.match(
    out,
    `eventgenerator failed to start: cannot open the database of db.appmetrics_db.url (127.0.0.1:${port}/policies): connect ECONNREFUSED 127.0.0.1:${port}`,
  );
  assert.not.match(out, 's3cr3t');
  assert.not.match(out, 'eguser');
  assert.not.match(out, /\n\s+at /, 'no stack trace');
});

errors('LOG_FORMAT with another value fails naming it', async () => {
  const service = spawnService([], { LOG_FORMAT: 'fancy' });
  assert.is(await service.exited(), 1);
  assert.match(service.stdout(), "LOG_FORMAT must be pretty or json, got 'fancy'");
});

errors.run();
