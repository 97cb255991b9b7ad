import { parseGoDuration } from './go-duration.ts';

/**
 * The configuration schema: one line per key, with its type and code default. The `Config` type is
 * derived from this table, so adding a key here is the whole change (plus a README row).
 * Durations are stored as milliseconds.
 */
export type FieldType = 'string' | 'bool' | 'int' | 'int32' | 'int64' | 'duration' | 'choice';

export interface Field<T> {
  readonly kind: 'field';
  readonly type: FieldType;
  readonly default: T;
  readonly choices?: readonly string[] | undefined;
}

export interface Section {
  readonly [key: string]: Field<unknown> | Section;
}

const field = <T>(type: FieldType, value: T, choices?: readonly string[]): Field<T> => ({
  kind: 'field',
  type,
  default: value,
  choices,
});
const text = (value = ''): Field<string> => field('string', value);
const bool = (value: boolean): Field<boolean> => field('bool', value);
const int = (value: number): Field<number> => field('int', value);
const int32 = (value: number): Field<number> => field('int32', value);
const int64 = (value: number): Field<number> => field('int64', value);
const duration = (value: string): Field<number> => field('duration', parseGoDuration(value));
const choice = <const C extends readonly string[]>(choices: C, value: C[number]): Field<C[number]> =>
  field('choice', value, choices);

const tls = () => ({ key_file: text(), cert_file: text(), ca_file: text() });
const xfcc = () => ({ valid_org_guid: text(), valid_space_guid: text() });
const database = () => ({
  url: text(),
  max_open_connections: int32(0),
  max_idle_connections: int32(0),
  connection_max_lifetime: duration('0s'),
  connection_max_idletime: duration('0s'),
});

export const configSchema = {
  logging: { level: text('info'), json_sink: bool(false) },
  server: { port: int(8080), tls: tls(), xfcc: xfcc() },
  cf_server: { port: int(8082), tls: tls(), xfcc: xfcc() },
  health: {
    server_config: { port: int(8081), tls: tls() },
    basic_auth: { username: text(), password: text(), username_hash: text(), password_hash: text() },
    readiness_enabled: bool(false),
  },
  db: { policy_db: database(), appmetrics_db: database() },
  // One instance by default, so that a config without pool.* starts (the anchor's 0 fails its own check).
  pool: { total_instances: int(1), instance_index: int(0) },
  aggregator: {
    aggregator_execute_interval: duration('40s'),
    policy_poller_interval: duration('40s'),
    save_interval: duration('5s'),
    metric_poller_count: int(20),
    app_monitor_channel_size: int(200),
    app_metric_channel_size: int(200),
    metric_cache_size_per_app: int(100),
    envelope_read_limit: int(1000),
    max_pending_metrics: int(100_000),
    save_batch_size: int(5000),
  },
  evaluator: {
    evaluation_manager_execute_interval: duration('40s'),
    evaluator_count: int(20),
    trigger_array_channel_size: int(200),
    periodic_evaluation: bool(true),
    evaluation_concurrency: int(20),
  },
  scalingEngine: { scaling_engine_url: text(), tls: tls() },
  metricCollector: {
    metric_collector_url: text(),
    // The RLP gateway (the CC root's `log_stream` link), for logcache.collection: streaming.
    log_stream_url: text(),
    tls: tls(),
    uaa: {
      url: text(),
      client_id: text(),
      client_secret: text(),
      grant_type: text(),
      username: text(),
      password: text(),
      skip_ssl_validation: bool(false),
    },
  },
  // 120, as in the anchor's default_config.json: its code default 0 fails its own 60-3600 check.
  defaultStatWindowSecs: int(120),
  defaultBreachDurationSecs: int(120),
  circuitBreaker: {
    back_off_initial_interval: duration('5m'),
    back_off_max_interval: duration('2h'),
    consecutive_failure_count: int64(3),
  },
  http_client_timeout: duration('5s'),
  membership: {
    mode: choice(['static', 'lease'], 'static'),
    lease_ttl: duration('15s'),
    heartbeat_interval: duration('5s'),
  },
  live: { max_buffered_events: int(1000) },
  policy_notifications: { install_trigger: bool(false) },
  logcache: {
    request_concurrency: int(100),
    collection: choice(['polling', 'streaming'], 'polling'),
    stream_source_ids: int(200),
  },
  decisions: { retention: duration('168h'), max_rows_per_app: int(1000) },
  // Cloud Foundry kills an app 10 s after SIGTERM: 8 s leaves room for the process to exit.
  shutdown: { timeout: duration('8s') },
} as const satisfies Section;

export type ConfigOf<S> = { readonly [K in keyof S]: S[K] extends Field<infer T> ? T : ConfigOf<S[K]> };

/** The effective, frozen configuration. Durations are milliseconds. */
export type Config = ConfigOf<typeof configSchema>;

export const isField = (node: Field<unknown> | Section): node is Field<unknown> => node.kind === 'field';

/** A mutable copy of the defaults, for the loader to overlay onto. */
export const mutableDefaults = (schema: Section = configSchema): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(schema).map(([key, node]) => [key, isField(node) ? node.default : mutableDefaults(node)]),
  );

export const deepFreeze = <T>(value: T): T => {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
};

/**
 * The code defaults (the anchor's code defaults, docs/anchor-compatibility.md#config-keys, plus our
 * own keys), frozen.
 */
export const defaultConfig = (): Config => deepFreeze(mutableDefaults()) as Config;
