import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, loadConfigWithSources } from '../../../../lib/adapters/config/load-config.ts';
import { defaultConfig } from '../../../../lib/adapters/config/schema.ts';
import { isConfigError } from '../../../../lib/adapters/config/config-error.ts';
import type { ConfigError } from '../../../../lib/adapters/config/config-error.ts';

const dir = mkdtempSync(join(tmpdir(), 'config-spec-'));
let fileCount = 0;
const file = (content: string, ext = 'yml'): string => {
  const path = join(dir, `config-${++fileCount}.${ext}`);
  writeFileSync(path, content);
  return path;
};
const failure = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (err) {
    assert.ok(isConfigError(err), `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.unreachable('expected a ConfigError');
  throw new Error('unreachable');
};

const REQUIRED = `
db:
  policy_db:
    url: postgres://pqgotest:password@localhost/pqgotest
  appmetrics_db:
    url: postgres://pqgotest:password@localhost/pqgotest
scalingEngine:
  scaling_engine_url: http://localhost:8082
metricCollector:
  metric_collector_url: log-cache:1234
defaultStatWindowSecs: 300
defaultBreachDurationSecs: 600
`;

// ---
const file$ = suite('loadConfig from a file');

file$('takes every value of a full file as given', () => {
  const config = loadConfig({
    env: {},
    path: file(`
server:
  port: 9080
  tls:
    key_file: /var/vcap/jobs/eventgenerator/config/certs/eventgenerator.key
    cert_file: /var/vcap/jobs/eventgenerator/config/certs/eventgenerator.crt
    ca_file: /var/vcap/jobs/eventgenerator/config/certs/autoscaler-ca.crt
logging:
  level: info
pool:
  total_instances: 2
  instance_index: 1
cf_server:
  port: 9082
health:
  server_config:
    port: 9999
aggregator:
  aggregator_execute_interval: 30s
  policy_poller_interval: 30s
  save_interval: 30s
  metric_poller_count: 10
  app_monitor_channel_size: 100
  app_metric_channel_size: 100
  metric_cache_size_per_app: 500
evaluator:
  evaluation_manager_execute_interval: 30s
  evaluator_count: 10
  trigger_array_channel_size: 100
circuitBreaker:
  back_off_initial_interval: 10s
  back_off_max_interval: 60m
  consecutive_failure_count: 5
http_client_timeout: 10s
${REQUIRED}`),
  });
  assert.is(config.server.port, 9080);
  assert.equal(config.server.tls, {
    key_file: '/var/vcap/jobs/eventgenerator/config/certs/eventgenerator.key',
    cert_file: '/var/vcap/jobs/eventgenerator/config/certs/eventgenerator.crt',
    ca_file: '/var/vcap/jobs/eventgenerator/config/certs/autoscaler-ca.crt',
  });
  assert.equal(config.pool, { total_instances: 2, instance_index: 1 });
  assert.is(config.cf_server.port, 9082);
  assert.is(config.health.server_config.port, 9999);
  assert.equal(config.aggregator, {
    ...defaultConfig().aggregator,
    aggregator_execute_interval: 30_000,
    policy_poller_interval: 30_000,
    save_interval: 30_000,
    metric_poller_count: 10,
    app_monitor_channel_size: 100,
    app_metric_channel_size: 100,
    metric_cache_size_per_app: 500,
  });
  assert.is(config.evaluator.evaluation_manager_execute_interval, 30_000);
  assert.is(config.evaluator.evaluator_count, 10);
  assert.is(config.evaluator.trigger_array_channel_size, 100);
  assert.is(config.scalingEngine.scaling_engine_url, 'http://localhost:8082');
  assert.is(config.metricCollector.metric_collector_url, 'log-cache:1234');
  assert.is(config.db.policy_db.url, 'postgres://pqgotest:password@localhost/pqgotest');
  assert.is(config.defaultStatWindowSecs, 300);
  assert.is(config.defaultBreachDurationSecs, 600);
  assert.equal(config.circuitBreaker, {
    back_off_initial_interval: 10_000,
    back_off_max_interval: 3_600_000,
    consecutive_failure_count: 5,
  });
  assert.is(config.http_client_timeout, 10_000);
});

file$('fills every absent key with its code default', () => {
  const config = loadConfig({ env: {}, path: file(REQUIRED) });
  assert.is(config.server.port, 8080);
  assert.is(config.cf_server.port, 8082);
  assert.is(config.health.server_config.port, 8081);
  assert.is(config.logging.level, 'info');
  assert.is(config.http_client_timeout, 5000);
  // ours: one instance, so that a file without pool.* starts (the anchor's 0 fails its own check)
  assert.equal(config.pool, { total_instances: 1, instance_index: 0 });
  const { aggregator: a, evaluator: e, circuitBreaker: b } = config;
  assert.equal(
    [
      a.aggregator_execute_interval,
      a.policy_poller_interval,
      a.save_interval,
      a.metric_poller_count,
      a.app_monitor_channel_size,
      a.app_metric_channel_size,
      a.metric_cache_size_per_app,
    ],
    [40_000, 40_000, 5000, 20, 200, 200, 100],
  );
  assert.equal(
    [e.evaluation_manager_execute_interval, e.evaluator_count, e.trigger_array_channel_size],
    [40_000, 20, 200],
  );
  assert.equal(
    [b.back_off_initial_interval, b.back_off_max_interval, b.consecutive_failure_count],
    [300_000, 7_200_000, 3],
  );
  for (const db of [config.db.policy_db, config.db.appmetrics_db]) {
    assert.equal(
      [db.max_open_connections, db.max_idle_connections, db.connection_max_lifetime, db.connection_max_idletime],
      [0, 0, 0, 0],
    );
  }
  assert.equal(config.membership, { mode: 'static', lease_ttl: 15_000, heartbeat_interval: 5000 });
});

file$('keeps defaults for absent keys inside a partly given section', () => {
  const config = loadConfig({
    env: {},
    path: file('aggregator:\n  save_interval: 7s\nhealth:\n  basic_auth:\n    username: u\n'),
  });
  assert.equal(config.aggregator, { ...defaultConfig().aggregator, save_interval: 7000 });
  assert.is(config.health.server_config.port, 8081);
  assert.is(config.health.basic_auth.username, 'u');
});

file$('reads a JSON file as well', () => {
  const config = loadConfig({
    env: {},
    path: file('{"pool": {"total_instances": 3}, "evaluator": {"periodic_evaluation": false}}', 'json'),
  });
  assert.is(config.pool.total_instances, 3);
  assert.is(config.evaluator.periodic_evaluation, false);
});

file$('rejects a mis-indented key naming the unknown field', () => {
  const err = failure(() => loadConfig({ env: {}, path: file('logging:\nlevel: debug\n') }));
  assert.match(err.message, 'field level not found');
  assert.match(err.message, /^failed to read config file: /);
  assert.is(err.key, 'level');
  assert.is(err.code, 'CONFIG_FILE');
});

file$('rejects unknown keys in nested sections, naming the full key', () => {
  const err = failure(() => loadConfig({ env: {}, path: file('aggregator:\n  save_intervall: 5s\n') }));
  assert.match(err.message, 'field save_intervall not found');
  assert.is(err.key, 'aggregator.save_intervall');
  const top = failure(() => loadConfig({ env: {}, path: file('uaa:\n  url: x\n') }));
  assert.is(top.key, 'uaa');
});

file$('rejects a malformed duration as a time.Duration read error', () => {
  const err = failure(() => loadConfig({ env: {}, path: file('http_client_timeout: 10k\n') }));
  assert.match(
    err.message,
    /^failed to read config file: http_client_timeout: cannot construct !!str `10k` into time\.Duration/,
  );
  assert.is(err.key, 'http_client_timeout');
});

file$('rejects a bare number where a duration is expected', () => {
  const err = failure(() => loadConfig({ env: {}, path: file('aggregator:\n  save_interval: 5\n') }));
  assert.match(err.message, 'cannot construct !!int `5` into time.Duration');
  assert.is(err.key, 'aggregator.save_interval');
});

file$('rejects non-integers for int32 and int keys, naming the key and type', () => {
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    ['db:\n  policy_db:\n    max_open_connections: NOT-INTEGER-VALUE\n', 'db.policy_db.max_open_connections', 'int32'],
    ['aggregator:\n  metric_poller_count: NOT-INTEGER-VALUE\n', 'aggregator.metric_poller_count', 'int'],
    ['evaluator:\n  evaluator_count: NOT-INTEGER-VALUE\n', 'evaluator.evaluator_count', 'int'],
    ['defaultStatWindowSecs: NOT-INTEGER-VALUE\n', 'defaultStatWindowSecs', 'int'],
    ['health:\n  server_config:\n    port: NOT-INTEGER-VALUE\n', 'health.server_config.port', 'int'],
    ['server:\n  port: 80.5\n', 'server.port', 'int'],
    ['server:\n  port: "8080"\n', 'server.port', 'int'],
    ['db:\n  appmetrics_db:\n    max_idle_connections: 3000000000\n', 'db.appmetrics_db.max_idle_connections', 'int32'],
  ];
  for (const [content, key, type] of cases) {
    const err = failure(() => loadConfig({ env: {}, path: file(content) }));
    assert.is(err.key, key);
    assert.match(err.message, `${key}: cannot construct `);
    assert.ok(err.message.includes(` into ${type}`), err.message);
  }
});

file$('rejects wrong types for booleans, sections and choices', () => {
  assert.is(
    failure(() => loadConfig({ env: {}, path: file('health:\n  readiness_enabled: "yes"\n') })).key,
    'health.readiness_enabled',
  );
  assert.is(failure(() => loadConfig({ env: {}, path: file('aggregator: 5\n') })).key, 'aggregator');
  assert.is(failure(() => loadConfig({ env: {}, path: file('logging:\n  level: [debug]\n') })).key, 'logging.level');
  const choice = failure(() => loadConfig({ env: {}, path: file('membership:\n  mode: zookeeper\n') }));
  assert.is(choice.key, 'membership.mode');
  assert.match(choice.message, 'one of static, lease');
  const collection = failure(() => loadConfig({ env: {}, path: file('logcache:\n  collection: websocket\n') }));
  assert.is(collection.key, 'logcache.collection');
  assert.match(collection.message, 'one of polling, streaming');
});

file$('keeps the source text of non-string scalars given for string keys', () => {
  const config = loadConfig({
    env: {},
    path: file('health:\n  basic_auth:\n    username: 0123\n    password: true\n'),
  });
  assert.is(config.health.basic_auth.username, '0123');
  assert.is(config.health.basic_auth.password, 'true');
});

file$('leaves a key with an empty (null) value at its earlier value', () => {
  const config = loadConfig({ env: {}, path: file('server:\n  port:\naggregator:\n') });
  assert.is(config.server.port, 8080);
  assert.is(config.aggregator.save_interval, 5000);
});

file$('fails on a missing file with the open error', () => {
  const path = join(dir, 'bogus');
  const err = failure(() => loadConfig({ env: {}, path }));
  assert.match(err.message, `failed to open config file '${path}': `);
  assert.match(err.message, 'ENOENT');
});

file$('fails on a garbage file with a read error', () => {
  assert.match(failure(() => loadConfig({ env: {}, path: file('bogus') })).message, /^failed to read config file: /);
  assert.match(
    failure(() => loadConfig({ env: {}, path: file('server: [1\n') })).message,
    /^failed to read config file: /,
  );
  assert.match(
    failure(() => loadConfig({ env: {}, path: file('a: 1\na: 2\n') })).message,
    /^failed to read config file: /,
  );
  assert.match(
    failure(() => loadConfig({ env: {}, path: file('# only a comment\n') })).message,
    /^failed to read config file: /,
  );
});

file$('treats an empty path as no file', () => {
  assert.equal(loadConfig({ env: {}, path: '' }), defaultConfig());
});

file$('lowercases the log level', () => {
  assert.is(loadConfig({ env: {}, path: file('logging:\n  level: DEBUG\n') }).logging.level, 'debug');
});

file$('returns a deeply frozen object', () => {
  const config = loadConfig({ env: {}, path: file(REQUIRED) });
  assert.ok(
    Object.isFrozen(config) &&
      Object.isFrozen(config.db) &&
      Object.isFrozen(config.db.policy_db) &&
      Object.isFrozen(config.server.tls),
  );
});

// ---
const env = suite('loadConfig plain environment overrides');

env('ignores VCAP_SERVICES, PORT and CF_INSTANCE_* off Cloud Foundry', () => {
  const config = loadConfig({
    path: file(`${REQUIRED}cf_server:\n  port: 9082\n`),
    env: {
      VCAP_APPLICATION: '  ',
      VCAP_SERVICES: 'not json',
      PORT: '3333',
      CF_INSTANCE_INDEX: '3',
      CF_INSTANCE_CERT: '/c',
      CF_INSTANCE_KEY: '/k',
      CF_INSTANCE_CA_CERT: '/ca',
    },
  });
  assert.is(config.cf_server.port, 9082);
  assert.is(config.server.port, 8080);
  assert.is(config.pool.instance_index, 0);
  assert.equal(config.scalingEngine.tls, { key_file: '', cert_file: '', ca_file: '' });
  assert.is(config.db.policy_db.url, 'postgres://pqgotest:password@localhost/pqgotest');
});

env('sets both database URLs from DATABASE_URL and the level from LOG_LEVEL', () => {
  const config = loadConfig({ path: file(REQUIRED), env: { DATABASE_URL: 'postgres://other/db', LOG_LEVEL: 'ERROR' } });
  assert.is(config.db.policy_db.url, 'postgres://other/db');
  assert.is(config.db.appmetrics_db.url, 'postgres://other/db');
  assert.is(config.logging.level, 'error');
});

env('leaves the file values when DATABASE_URL and LOG_LEVEL are empty', () => {
  const config = loadConfig({ path: file(REQUIRED), env: { DATABASE_URL: '', LOG_LEVEL: '' } });
  assert.is(config.db.policy_db.url, 'postgres://pqgotest:password@localhost/pqgotest');
  assert.is(config.logging.level, 'info');
});

// ---
const cf = suite('loadConfig on Cloud Foundry');

const configService = (credential: unknown, extra: Record<string, unknown> = {}) => ({
  name: 'eventgenerator-config',
  tags: ['EventGenerator-Config'],
  credentials: { 'eventgenerator-config': credential, ...extra },
});
const cfEnv = (services: unknown[], more: Record<string, string> = {}) => ({
  VCAP_APPLICATION: JSON.stringify({ space_id: 'some-space-id', organization_id: 'some-org-id', application_id: 'x' }),
  VCAP_SERVICES: JSON.stringify({ 'user-provided': services }),
  ...more,
});

cf('applies PORT, the instance index, the XFCC guids and the instance identity', () => {
  const config = loadConfig({
    tmpRoot: dir,
    env: cfEnv([configService({ pool: { total_instances: 4 } })], {
      PORT: '3333',
      CF_INSTANCE_INDEX: '3',
      CF_INSTANCE_CERT: '/etc/cf/cert',
      CF_INSTANCE_KEY: '/etc/cf/key',
      CF_INSTANCE_CA_CERT: '/etc/cf/ca',
    }),
  });
  assert.is(config.cf_server.port, 3333);
  assert.is(config.server.port, 0);
  assert.is(config.pool.instance_index, 3);
  assert.is(config.pool.total_instances, 4);
  assert.equal(config.cf_server.xfcc, { valid_org_guid: 'some-org-id', valid_space_guid: 'some-space-id' });
  assert.equal(config.scalingEngine.tls, { cert_file: '/etc/cf/cert', key_file: '/etc/cf/key', ca_file: '/etc/cf/ca' });
});

cf('lets the config service override PORT but not the XFCC guids or instance index', () => {
  const config = loadConfig({
    tmpRoot: dir,
    env: cfEnv(
      [
        configService({
          cf_server: { port: 4444, xfcc: { valid_org_guid: 'mine' } },
          pool: { instance_index: 7 },
          scalingEngine: { tls: { cert_file: '/x' } },
        }),
      ],
      { PORT: '3333' },
    ),
  });
  assert.is(config.cf_server.port, 4444);
  assert.is(config.cf_server.xfcc.valid_org_guid, 'some-org-id');
  assert.is(config.pool.instance_index, 0);
  assert.is(config.scalingEngine.tls.cert_file, '');
});

cf('fails without a service tagged eventgenerator-config', () => {
  const err = failure(() =>
    loadConfig({ tmpRoot: dir, env: cfEnv([{ name: 'other', tags: ['x'], credentials: {} }]) }),
  );
  assert.is(err.message, 'vcap_services config not found: failed to get service by name: eventgenerator-config');
  const none = failure(() => loadConfig({ tmpRoot: dir, env: { VCAP_APPLICATION: '{}' } }));
  assert.match(none.message, 'vcap_services config not found');
});

cf('fails when the config service lacks the eventgenerator-config credential', () => {
  const err = failure(() =>
    loadConfig({
      tmpRoot: dir,
      env: cfEnv([{ name: 'c', tags: ['eventgenerator-config'], credentials: { other: {} } }]),
    }),
  );
  assert.is(
    err.message,
    'vcap_services config not found: failed to get required credential from service: eventgenerator-config',
  );
});

cf('parses a string credential as YAML', () => {
  const config = loadConfig({ tmpRoot: dir, env: cfEnv([configService('aggregator:\n  save_interval: 7s\n')]) });
  assert.equal(config.aggregator, { ...defaultConfig().aggregator, save_interval: 7000 });
});

cf('ignores unknown keys in the config service', () => {
  const config = loadConfig({
    tmpRoot: dir,
    env: cfEnv([
      configService({
        uaa: { url: '', client_id: '' },
        metricCollector: { port: '', metric_collector_url: 'https://log-cache.x' },
      }),
    ]),
  });
  assert.is(config.metricCollector.metric_collector_url, 'https://log-cache.x');
});

cf('still fails on type errors in the config service, naming the key', () => {
  const err = failure(() =>
    loadConfig({ tmpRoot: dir, env: cfEnv([configService({ aggregator: { save_interval: 5 } })]) }),
  );
  assert.is(err.key, 'aggregator.save_interval');
  assert.is(err.code, 'CONFIG_VCAP');
  const yaml = failure(() =>
    loadConfig({ tmpRoot: dir, env: cfEnv([configService('pool:\n  total_instances: two\n')]) }),
  );
  assert.is(yaml.key, 'pool.total_instances');
});

cf('overrides configured database URLs with "" when no service has their tag', () => {
  const config = loadConfig({
    tmpRoot: dir,
    path: file(REQUIRED),
    env: cfEnv([
      configService({
        db: { appmetrics_db: { url: 'postgres://from-overlay/db', max_open_connections: 100 } },
      }),
    ]),
  });
  assert.is(config.db.appmetrics_db.url, '');
  assert.is(config.db.policy_db.url, '');
  assert.is(config.db.appmetrics_db.max_open_connections, 100);
});

cf('takes database URLs from tagged services, and DATABASE_URL over both', () => {
  const database = {
    name: 'database',
    tags: ['policy_db', 'appmetrics_db', 'relational'],
    credentials: { uri: 'postgres://u:p@h:5432/db' },
  };
  const config = loadConfig({ tmpRoot: dir, env: cfEnv([configService({}), database]) });
  assert.is(config.db.policy_db.url, 'postgres://u:p@h:5432/db');
  assert.is(config.db.appmetrics_db.url, 'postgres://u:p@h:5432/db');
  const overridden = loadConfig({
    tmpRoot: dir,
    env: cfEnv([configService({}), database], { DATABASE_URL: 'postgres://local/x' }),
  });
  assert.is(overridden.db.policy_db.url, 'postgres://local/x');
});

cf('rejects malformed PORT, CF_INSTANCE_INDEX, VCAP_SERVICES and VCAP_APPLICATION, naming them', () => {
  const services = [configService({})];
  assert.is(failure(() => loadConfig({ tmpRoot: dir, env: cfEnv(services, { PORT: 'eighty' }) })).key, 'PORT');
  assert.is(failure(() => loadConfig({ tmpRoot: dir, env: cfEnv(services, { PORT: '70000' }) })).key, 'PORT');
  assert.is(
    failure(() => loadConfig({ tmpRoot: dir, env: cfEnv(services, { CF_INSTANCE_INDEX: '-1' }) })).key,
    'CF_INSTANCE_INDEX',
  );
  assert.is(
    failure(() => loadConfig({ tmpRoot: dir, env: { ...cfEnv(services), VCAP_SERVICES: '{nope' } })).key,
    'VCAP_SERVICES',
  );
  assert.is(
    failure(() => loadConfig({ tmpRoot: dir, env: { ...cfEnv(services), VCAP_APPLICATION: '{nope' } })).key,
    'VCAP_APPLICATION',
  );
});

cf('uses empty guids when VCAP_APPLICATION lacks them, and index 0 without CF_INSTANCE_INDEX', () => {
  const config = loadConfig({
    tmpRoot: dir,
    env: { ...cfEnv([configService({})]), VCAP_APPLICATION: '{"name":"eg"}' },
  });
  assert.equal(config.cf_server.xfcc, { valid_org_guid: '', valid_space_guid: '' });
  assert.is(config.pool.instance_index, 0);
  assert.is(config.cf_server.port, 8082);
});

cf.after(() => rmSync(dir, { recursive: true, force: true }));

file$.run();
env.run();
cf('defaults membership to leases, so cf scale and rolling deploys need no config change', () => {
  const loaded = loadConfigWithSources({
    tmpRoot: dir,
    env: cfEnv([configService({ pool: { total_instances: 2 } })], { CF_INSTANCE_INDEX: '5' }),
  });
  assert.is(loaded.config.membership.mode, 'lease');
  assert.is(loaded.sourceOf('membership.mode'), 'the Cloud Foundry default');
  // pool keys are accepted (and unused) in lease mode
  assert.is(loaded.config.pool.total_instances, 2);
  assert.is(loadConfig({ env: {} }).membership.mode, 'static', 'off Cloud Foundry the default stays static');
});

cf('keeps static membership when the service or the file asks for it', () => {
  const fromService = loadConfig({
    tmpRoot: dir,
    env: cfEnv([configService({ membership: { mode: 'static' }, pool: { total_instances: 2 } })]),
  });
  assert.is(fromService.membership.mode, 'static');
  const fromFile = loadConfig({
    tmpRoot: dir,
    path: file('membership:\n  mode: static\n'),
    env: cfEnv([configService({})]),
  });
  assert.is(fromFile.membership.mode, 'static');
});

cf('names the bound service as the source of a value and of an error', () => {
  const services = [
    configService({ defaultBreachDurationSecs: 30 }),
    {
      name: 'autoscaler-db',
      tags: ['policy_db', 'appmetrics_db'],
      credentials: { uri: 'postgres://u:p@db.example.com:5432/as' },
    },
  ];
  const loaded = loadConfigWithSources({ tmpRoot: dir, env: cfEnv(services) });
  assert.is(
    loaded.sourceOf('defaultBreachDurationSecs'),
    "the eventgenerator-config credential of service 'eventgenerator-config' (tag eventgenerator-config)",
  );
  assert.is(loaded.sourceOf('db.policy_db.url'), "service 'autoscaler-db' (tag policy_db)");
  assert.is(loaded.sourceOf('http_client_timeout'), 'the default');
  const err = failure(() => loadConfig({ tmpRoot: dir, env: cfEnv([configService({ http_client_timeout: 'soon' })]) }));
  assert.is(err.key, 'http_client_timeout');
  assert.is(
    err.source,
    "the eventgenerator-config credential of service 'eventgenerator-config' (tag eventgenerator-config)",
  );
  const fileErr = failure(() => loadConfig({ env: {}, path: file('http_client_timeout: soon\n') }));
  assert.match(String(fileErr.source), /^config file '.+'$/);
});

cf.run();
