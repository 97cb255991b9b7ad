import bcrypt from 'bcryptjs';
import { ConfigError } from './config-error.ts';
import type { Config } from './schema.ts';

type Check = readonly [key: string, failed: (c: Config) => boolean, message: string];

const emptyMessage = (key: string) => `Configuration error: ${key} is empty`;
const notPositive = (key: string) => `Configuration error: ${key} is less-equal than 0`;
const isBcryptHash = (hash: string): boolean => {
  try {
    const cost = bcrypt.getRounds(hash);
    return cost >= 4 && cost <= 31 && /^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash);
  } catch {
    return false;
  }
};

const aggregatorKeys = [
  'aggregator_execute_interval',
  'policy_poller_interval',
  'save_interval',
  'metric_poller_count',
  'app_monitor_channel_size',
  'app_metric_channel_size',
  'metric_cache_size_per_app',
] as const;
const evaluatorKeys = ['evaluation_manager_execute_interval', 'evaluator_count', 'trigger_array_channel_size'] as const;
const inWindow = (value: number) => value >= 60 && value <= 3600;
const passwordGrant = (c: Config) =>
  c.metricCollector.uaa.url !== '' && c.metricCollector.uaa.grant_type === 'password';
const auth = (c: Config) => c.health.basic_auth;

/**
 * The anchor's checks, in its order, with its exact messages
 * (docs/anchor-compatibility.md#config-validation).
 */
const anchorChecks: readonly Check[] = [
  ['db.policy_db.url', (c) => c.db.policy_db.url === '', emptyMessage('db.policy_db.url')],
  // The anchor's message names the key wrongly; kept as it is for log parity.
  ['db.appmetrics_db.url', (c) => c.db.appmetrics_db.url === '', emptyMessage('db.app_metrics_db.url')],
  [
    'scalingEngine.scaling_engine_url',
    (c) => c.scalingEngine.scaling_engine_url === '',
    emptyMessage('scalingEngine.scaling_engine_url'),
  ],
  [
    'metricCollector.metric_collector_url',
    (c) => c.metricCollector.metric_collector_url === '',
    emptyMessage('metricCollector.metric_collector_url'),
  ],
  [
    'metricCollector.uaa.username',
    (c) => passwordGrant(c) && c.metricCollector.uaa.username === '',
    'Configuration error: metricCollector.uaa.username is empty for password grant',
  ],
  [
    'metricCollector.uaa.password',
    (c) => passwordGrant(c) && c.metricCollector.uaa.password === '',
    'Configuration error: metricCollector.uaa.password is empty for password grant',
  ],
  ...aggregatorKeys.map((k): Check => [`aggregator.${k}`, (c) => c.aggregator[k] <= 0, notPositive(`aggregator.${k}`)]),
  ...evaluatorKeys.map((k): Check => [`evaluator.${k}`, (c) => c.evaluator[k] <= 0, notPositive(`evaluator.${k}`)]),
  [
    'defaultBreachDurationSecs',
    (c) => !inWindow(c.defaultBreachDurationSecs),
    'Configuration error: defaultBreachDurationSecs should be between 60 and 3600',
  ],
  [
    'defaultStatWindowSecs',
    (c) => !inWindow(c.defaultStatWindowSecs),
    'Configuration error: defaultStatWindowSecs should be between 60 and 3600',
  ],
  ['http_client_timeout', (c) => c.http_client_timeout <= 0, notPositive('http_client_timeout')],
  // Static sharding only: in lease mode pool.* is not used (CF_INSTANCE_INDEX may be any number).
  [
    'pool.instance_index',
    (c) =>
      c.membership.mode === 'static' && (c.pool.instance_index < 0 || c.pool.instance_index >= c.pool.total_instances),
    'Configuration error: pool.instance_index out of range',
  ],
  [
    'health.basic_auth.username',
    (c) => auth(c).username !== '' && auth(c).username_hash !== '',
    'configuration error: both healthcheck username and healthcheck username_hash are set, please provide only one of them',
  ],
  [
    'health.basic_auth.password',
    (c) => auth(c).password !== '' && auth(c).password_hash !== '',
    'configuration error: both healthcheck password and healthcheck password_hash are provided, please provide only one of them',
  ],
  [
    'health.basic_auth.username_hash',
    (c) => auth(c).username_hash !== '' && !isBcryptHash(auth(c).username_hash),
    'configuration error: healthcheck username_hash is not a valid bcrypt hash',
  ],
  [
    'health.basic_auth.password_hash',
    (c) => auth(c).password_hash !== '' && !isBcryptHash(auth(c).password_hash),
    'configuration error: healthcheck password_hash is not a valid bcrypt hash',
  ],
  // Reproduced as is (docs/anchor-compatibility.md#config-validation): username_hash with a plain
  // password also lands here.
  [
    'health.basic_auth.username',
    (c) => auth(c).password !== '' && auth(c).username === '',
    'configuration error: healthcheck username is empty',
  ],
  [
    'health.basic_auth.password',
    (c) => auth(c).username !== '' && auth(c).password === '',
    'configuration error: healthcheck password is empty',
  ],
];

const LOG_LEVELS = ['debug', 'info', 'error', 'fatal'];
/** About 47 characters each: 1000 keep the stream request under 48 KB. */
const MAX_STREAM_SOURCE_IDS = 1000;
const portKeys = [
  ['server.port', (c: Config) => c.server.port],
  ['cf_server.port', (c: Config) => c.cf_server.port],
  ['health.server_config.port', (c: Config) => c.health.server_config.port],
] as const;
const listenerTls = [
  ['server.tls', (c: Config) => c.server.tls],
  ['cf_server.tls', (c: Config) => c.cf_server.tls],
  ['health.server_config.tls', (c: Config) => c.health.server_config.tls],
] as const;
const poolKeys = [
  'max_open_connections',
  'max_idle_connections',
  'connection_max_lifetime',
  'connection_max_idletime',
] as const;
const positive = (key: string, read: (c: Config) => number): Check => [key, (c) => !(read(c) > 0), notPositive(key)];

/** Checks the anchor does not make, run after its own so that its first-failure order holds. */
const ownChecks: readonly Check[] = [
  [
    'logging.level',
    (c) => !LOG_LEVELS.includes(c.logging.level),
    `Configuration error: logging.level must be one of ${LOG_LEVELS.join(', ')}`,
  ],
  ...portKeys.map(
    ([key, read]): Check => [
      key,
      (c) => read(c) < 0 || read(c) > 65535,
      `Configuration error: ${key} must be between 0 and 65535`,
    ],
  ),
  ...listenerTls.map(
    ([key, read]): Check => [
      key,
      (c) => (read(c).key_file === '') !== (read(c).cert_file === ''),
      `Configuration error: ${key} needs both key_file and cert_file`,
    ],
  ),
  ...(['policy_db', 'appmetrics_db'] as const).flatMap((db) =>
    poolKeys.map(
      (k): Check => [`db.${db}.${k}`, (c) => c.db[db][k] < 0, `Configuration error: db.${db}.${k} is less than 0`],
    ),
  ),
  [
    'scalingEngine.scaling_engine_url',
    (c) => !/^https?:$/.test(URL.parse(c.scalingEngine.scaling_engine_url)?.protocol ?? ''),
    'Configuration error: scalingEngine.scaling_engine_url is not an http(s) URL',
  ],
  positive('circuitBreaker.back_off_initial_interval', (c) => c.circuitBreaker.back_off_initial_interval),
  positive('circuitBreaker.back_off_max_interval', (c) => c.circuitBreaker.back_off_max_interval),
  positive('circuitBreaker.consecutive_failure_count', (c) => c.circuitBreaker.consecutive_failure_count),
  positive('aggregator.envelope_read_limit', (c) => c.aggregator.envelope_read_limit),
  [
    'aggregator.envelope_read_limit',
    (c) => c.aggregator.envelope_read_limit > 1000,
    'Configuration error: aggregator.envelope_read_limit must be 1000 or less',
  ],
  positive('aggregator.max_pending_metrics', (c) => c.aggregator.max_pending_metrics),
  positive('aggregator.save_batch_size', (c) => c.aggregator.save_batch_size),
  positive('evaluator.evaluation_concurrency', (c) => c.evaluator.evaluation_concurrency),
  positive('membership.lease_ttl', (c) => c.membership.lease_ttl),
  positive('membership.heartbeat_interval', (c) => c.membership.heartbeat_interval),
  [
    'membership.heartbeat_interval',
    (c) => c.membership.heartbeat_interval >= c.membership.lease_ttl,
    'Configuration error: membership.heartbeat_interval must be shorter than membership.lease_ttl',
  ],
  positive('live.max_buffered_events', (c) => c.live.max_buffered_events),
  positive('logcache.request_concurrency', (c) => c.logcache.request_concurrency),
  positive('logcache.stream_source_ids', (c) => c.logcache.stream_source_ids),
  [
    'logcache.stream_source_ids',
    (c) => c.logcache.stream_source_ids > MAX_STREAM_SOURCE_IDS,
    `Configuration error: logcache.stream_source_ids must be ${MAX_STREAM_SOURCE_IDS} or less (each source id lengthens the stream request's URL)`,
  ],
  [
    'metricCollector.log_stream_url',
    (c) => c.logcache.collection === 'streaming' && c.metricCollector.log_stream_url === '',
    'Configuration error: metricCollector.log_stream_url is empty; logcache.collection streaming needs the RLP gateway URL (the log_stream link of the Cloud Controller root, e.g. https://log-stream.sys.example.com)',
  ],
  [
    'metricCollector.log_stream_url',
    (c) =>
      c.metricCollector.log_stream_url !== '' &&
      !/^https?:$/.test(URL.parse(c.metricCollector.log_stream_url)?.protocol ?? ''),
    'Configuration error: metricCollector.log_stream_url is not an http(s) URL',
  ],
  [
    'metricCollector.uaa.url',
    (c) => c.logcache.collection === 'streaming' && c.metricCollector.uaa.url === '',
    'Configuration error: logcache.collection streaming needs metricCollector.uaa.url: the RLP gateway accepts UAA tokens only, not client certificates',
  ],
  positive('decisions.retention', (c) => c.decisions.retention),
  positive('decisions.max_rows_per_app', (c) => c.decisions.max_rows_per_app),
  positive('shutdown.timeout', (c) => c.shutdown.timeout),
];

/**
 * Validates a loaded configuration and throws the first failure as a ConfigError (code
 * CONFIG_INVALID, `key` set). The anchor's checks come first, in its order and wording.
 */
export const validateConfig = (config: Config): void => {
  for (const [key, failed, message] of [...anchorChecks, ...ownChecks]) {
    if (failed(config)) throw new ConfigError(message, { code: 'CONFIG_INVALID', key });
  }
};
