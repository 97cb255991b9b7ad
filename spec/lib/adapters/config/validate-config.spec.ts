import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import bcrypt from 'bcryptjs';
import { validateConfig } from '../../../../lib/adapters/config/validate-config.ts';
import { defaultConfig } from '../../../../lib/adapters/config/schema.ts';
import type { Config } from '../../../../lib/adapters/config/schema.ts';
import { isConfigError } from '../../../../lib/adapters/config/config-error.ts';

type Patch = { readonly [key: string]: unknown };
const merge = (base: unknown, patch: Patch): unknown => {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch)) {
    out[key] = value && typeof value === 'object' && !Array.isArray(value) ? merge(out[key], value as Patch) : value;
  }
  return out;
};

const VALID: Patch = {
  db: { policy_db: { url: 'postgres://h/db' }, appmetrics_db: { url: 'postgres://h/db' } },
  scalingEngine: { scaling_engine_url: 'https://scalingengine.example' },
  metricCollector: { metric_collector_url: 'https://log-cache.example' },
  defaultStatWindowSecs: 120,
  defaultBreachDurationSecs: 120,
  pool: { total_instances: 2, instance_index: 0 },
};
const config = (...patches: Patch[]): Config =>
  patches.reduce<unknown>((c, p) => merge(c, p), merge(defaultConfig(), VALID)) as Config;

/** The message and key of the validation failure, or undefined when the config is valid. */
const failure = (c: Config): { message: string; key: string | undefined } | undefined => {
  try {
    validateConfig(c);
    return undefined;
  } catch (err) {
    assert.ok(isConfigError(err), String(err));
    assert.is(err.code, 'CONFIG_INVALID');
    return { message: err.message, key: err.key };
  }
};
const messageOf = (...patches: Patch[]) => failure(config(...patches))?.message;

// ---
const anchor = suite('validateConfig anchor checks');

anchor('accepts a complete configuration', () => {
  assert.is(failure(config()), undefined);
});

anchor('requires a configured pool, as the defaults leave it out of range', () => {
  assert.is(
    messageOf({ pool: { total_instances: 0, instance_index: 0 } }),
    'Configuration error: pool.instance_index out of range',
  );
});

anchor('keeps the default-stat-window and breach-duration bounds inclusive', () => {
  const breach = 'Configuration error: defaultBreachDurationSecs should be between 60 and 3600';
  const stat = 'Configuration error: defaultStatWindowSecs should be between 60 and 3600';
  assert.is(messageOf({ defaultBreachDurationSecs: 10 }), breach);
  assert.is(messageOf({ defaultBreachDurationSecs: 5000 }), breach);
  assert.is(messageOf({ defaultStatWindowSecs: 10 }), stat);
  assert.is(messageOf({ defaultStatWindowSecs: 5000 }), stat);
  for (const v of [60, 3600]) {
    assert.is(messageOf({ defaultBreachDurationSecs: v, defaultStatWindowSecs: v }), undefined);
  }
});

anchor('leaves pool.* alone in lease mode, where it is not used', () => {
  assert.is(messageOf({ membership: { mode: 'lease' }, pool: { total_instances: 1, instance_index: 3 } }), undefined);
  assert.is(
    messageOf({ membership: { mode: 'static' }, pool: { total_instances: 1, instance_index: 3 } }),
    'Configuration error: pool.instance_index out of range',
  );
});

anchor('requires 0 <= instance_index < total_instances', () => {
  for (const index of [-1, 2])
    assert.is(messageOf({ pool: { instance_index: index } }), 'Configuration error: pool.instance_index out of range');
  for (const index of [0, 1]) assert.is(messageOf({ pool: { instance_index: index } }), undefined);
});

anchor('rejects each non-positive knob with its own message', () => {
  const knobs: ReadonlyArray<readonly [string, string]> = [
    ['aggregator', 'aggregator_execute_interval'],
    ['aggregator', 'policy_poller_interval'],
    ['aggregator', 'save_interval'],
    ['aggregator', 'metric_poller_count'],
    ['aggregator', 'app_monitor_channel_size'],
    ['aggregator', 'app_metric_channel_size'],
    ['aggregator', 'metric_cache_size_per_app'],
    ['evaluator', 'evaluation_manager_execute_interval'],
    ['evaluator', 'evaluator_count'],
    ['evaluator', 'trigger_array_channel_size'],
  ];
  for (const [section, key] of knobs) {
    const result = failure(config({ [section]: { [key]: 0 } }));
    assert.is(result?.message, `Configuration error: ${section}.${key} is less-equal than 0`);
    assert.is(result?.key, `${section}.${key}`);
  }
  assert.is(messageOf({ http_client_timeout: 0 }), 'Configuration error: http_client_timeout is less-equal than 0');
  assert.is(messageOf({ http_client_timeout: -5 }), 'Configuration error: http_client_timeout is less-equal than 0');
});

anchor('requires the four URLs, naming appmetrics_db as the anchor does', () => {
  assert.is(messageOf({ db: { policy_db: { url: '' } } }), 'Configuration error: db.policy_db.url is empty');
  const appMetrics = failure(config({ db: { appmetrics_db: { url: '' } } }));
  assert.is(appMetrics?.message, 'Configuration error: db.app_metrics_db.url is empty');
  assert.is(appMetrics?.key, 'db.appmetrics_db.url');
  assert.is(
    messageOf({ scalingEngine: { scaling_engine_url: '' } }),
    'Configuration error: scalingEngine.scaling_engine_url is empty',
  );
  assert.is(
    messageOf({ metricCollector: { metric_collector_url: '' } }),
    'Configuration error: metricCollector.metric_collector_url is empty',
  );
});

anchor('requires username and password for the password grant only', () => {
  const uaa = (fields: Patch) => ({ metricCollector: { uaa: { url: 'https://uaa.x', ...fields } } });
  assert.is(
    messageOf(uaa({ grant_type: 'password' })),
    'Configuration error: metricCollector.uaa.username is empty for password grant',
  );
  assert.is(
    messageOf(uaa({ grant_type: 'password', username: 'u' })),
    'Configuration error: metricCollector.uaa.password is empty for password grant',
  );
  assert.is(messageOf(uaa({ grant_type: 'password', username: 'u', password: 'p' })), undefined);
  assert.is(messageOf(uaa({ grant_type: 'client_credentials' })), undefined);
  assert.is(messageOf({ metricCollector: { uaa: { url: '', grant_type: 'password' } } }), undefined);
});

anchor('reports the first failure in the anchor order', () => {
  assert.is(
    messageOf({ db: { policy_db: { url: '' }, appmetrics_db: { url: '' } }, pool: { instance_index: 5 } }),
    'Configuration error: db.policy_db.url is empty',
  );
  assert.is(
    messageOf({ aggregator: { metric_poller_count: 0, save_interval: 0 } }),
    'Configuration error: aggregator.save_interval is less-equal than 0',
  );
  assert.is(
    messageOf({ defaultBreachDurationSecs: 1, defaultStatWindowSecs: 1 }),
    'Configuration error: defaultBreachDurationSecs should be between 60 and 3600',
  );
  assert.is(
    messageOf({ http_client_timeout: 0, pool: { instance_index: 9 } }),
    'Configuration error: http_client_timeout is less-equal than 0',
  );
});

const hash = bcrypt.hashSync('secret', 4);

anchor('checks health basic auth in the anchor order and wording', () => {
  const auth = (fields: Patch) => ({ health: { basic_auth: fields } });
  assert.is(
    messageOf(auth({ username: 'u', username_hash: hash, password: 'p' })),
    'configuration error: both healthcheck username and healthcheck username_hash are set, please provide only one of them',
  );
  assert.is(
    messageOf(auth({ username: 'u', password: 'p', password_hash: hash })),
    'configuration error: both healthcheck password and healthcheck password_hash are provided, please provide only one of them',
  );
  assert.is(
    messageOf(auth({ username_hash: 'plain', password_hash: hash })),
    'configuration error: healthcheck username_hash is not a valid bcrypt hash',
  );
  assert.is(
    messageOf(auth({ username_hash: hash, password_hash: 'plain' })),
    'configuration error: healthcheck password_hash is not a valid bcrypt hash',
  );
  assert.is(messageOf(auth({ password: 'p' })), 'configuration error: healthcheck username is empty');
  assert.is(messageOf(auth({ username: 'u' })), 'configuration error: healthcheck password is empty');
  assert.is(messageOf(auth({ username: 'u', password: 'p' })), undefined);
  assert.is(messageOf(auth({ username_hash: hash, password_hash: hash })), undefined);
});

anchor('rejects username_hash with a plain password, as the anchor does', () => {
  assert.is(
    messageOf({ health: { basic_auth: { username_hash: hash, password: 'p' } } }),
    'configuration error: healthcheck username is empty',
  );
});

// ---
const own = suite('validateConfig own checks');

own('rejects unsupported log levels', () => {
  assert.is(failure(config({ logging: { level: 'trace' } }))?.key, 'logging.level');
  for (const level of ['debug', 'info', 'error', 'fatal']) assert.is(messageOf({ logging: { level } }), undefined);
});

own('rejects ports outside 0..65535, naming the key', () => {
  assert.is(failure(config({ server: { port: 70000 } }))?.key, 'server.port');
  assert.is(failure(config({ cf_server: { port: -1 } }))?.key, 'cf_server.port');
  assert.is(failure(config({ health: { server_config: { port: 65536 } } }))?.key, 'health.server_config.port');
  assert.is(messageOf({ server: { port: 0 } }), undefined);
});

own('rejects a listener TLS block with only one of key and certificate', () => {
  const result = failure(config({ cf_server: { tls: { key_file: '/k' } } }));
  assert.is(result?.key, 'cf_server.tls');
  assert.match(result?.message ?? '', 'needs both key_file and cert_file');
  assert.is(messageOf({ server: { tls: { key_file: '/k', cert_file: '/c' } } }), undefined);
});

own('rejects negative pool settings and a non-http scaling-engine URL', () => {
  assert.is(
    failure(config({ db: { policy_db: { max_open_connections: -1 } } }))?.key,
    'db.policy_db.max_open_connections',
  );
  assert.is(
    failure(config({ db: { appmetrics_db: { connection_max_lifetime: -1 } } }))?.key,
    'db.appmetrics_db.connection_max_lifetime',
  );
  assert.is(
    failure(config({ scalingEngine: { scaling_engine_url: 'scalingengine:6104' } }))?.key,
    'scalingEngine.scaling_engine_url',
  );
});

own('rejects non-positive breaker settings and own knobs', () => {
  const cases: ReadonlyArray<readonly [Patch, string]> = [
    [{ circuitBreaker: { back_off_initial_interval: 0 } }, 'circuitBreaker.back_off_initial_interval'],
    [{ circuitBreaker: { back_off_max_interval: 0 } }, 'circuitBreaker.back_off_max_interval'],
    [{ circuitBreaker: { consecutive_failure_count: 0 } }, 'circuitBreaker.consecutive_failure_count'],
    [{ aggregator: { envelope_read_limit: 0 } }, 'aggregator.envelope_read_limit'],
    [{ aggregator: { envelope_read_limit: 1001 } }, 'aggregator.envelope_read_limit'],
    [{ aggregator: { max_pending_metrics: 0 } }, 'aggregator.max_pending_metrics'],
    [{ aggregator: { save_batch_size: 0 } }, 'aggregator.save_batch_size'],
    [{ evaluator: { evaluation_concurrency: 0 } }, 'evaluator.evaluation_concurrency'],
    [{ membership: { lease_ttl: 0 } }, 'membership.lease_ttl'],
    [{ membership: { heartbeat_interval: 0 } }, 'membership.heartbeat_interval'],
    [{ membership: { heartbeat_interval: 15_000 } }, 'membership.heartbeat_interval'],
    [{ live: { max_buffered_events: 0 } }, 'live.max_buffered_events'],
    [{ logcache: { request_concurrency: 0 } }, 'logcache.request_concurrency'],
    [{ logcache: { stream_source_ids: 0 } }, 'logcache.stream_source_ids'],
    [{ logcache: { stream_source_ids: 1001 } }, 'logcache.stream_source_ids'],
    [{ metricCollector: { log_stream_url: 'log-stream.example' } }, 'metricCollector.log_stream_url'],
    [{ decisions: { retention: 0 } }, 'decisions.retention'],
    [{ decisions: { max_rows_per_app: 0 } }, 'decisions.max_rows_per_app'],
  ];
  for (const [patch, key] of cases) {
    const result = failure(config(patch));
    assert.is(result?.key, key, JSON.stringify(patch));
    assert.match(result?.message ?? '', /^Configuration error: /);
  }
});

own('streaming collection names the RLP gateway and needs a UAA token', () => {
  const streaming = { logcache: { collection: 'streaming' } };
  assert.is(
    messageOf(streaming, { metricCollector: { uaa: { url: 'https://uaa.example' } } }),
    'Configuration error: metricCollector.log_stream_url is empty; logcache.collection streaming needs the RLP gateway URL (the log_stream link of the Cloud Controller root, e.g. https://log-stream.sys.example.com)',
  );
  assert.is(
    messageOf(streaming, { metricCollector: { log_stream_url: 'https://log-stream.example' } }),
    'Configuration error: logcache.collection streaming needs metricCollector.uaa.url: the RLP gateway accepts UAA tokens only, not client certificates',
  );
  assert.is(
    messageOf(streaming, {
      metricCollector: { log_stream_url: 'https://log-stream.example', uaa: { url: 'https://uaa.example' } },
    }),
    undefined,
  );
  // Polling (the default) does not need the gateway.
  assert.is(messageOf({ metricCollector: { uaa: { url: 'https://uaa.example' } } }), undefined);
});

own('runs after every anchor check', () => {
  assert.is(
    messageOf({ logging: { level: 'trace' }, pool: { instance_index: 9 } }),
    'Configuration error: pool.instance_index out of range',
  );
});

anchor.run();
own.run();
