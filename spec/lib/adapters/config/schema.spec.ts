import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema, defaultConfig, isField } from '../../../../lib/adapters/config/schema.ts';
import type { Section } from '../../../../lib/adapters/config/schema.ts';

const keysOf = (section: Section, prefix = ''): string[] =>
  Object.entries(section).flatMap(([name, node]) =>
    isField(node) ? [`${prefix}${name}`] : keysOf(node, `${prefix}${name}.`),
  );

const ANCHOR_SECTIONS = [
  'logging',
  'server',
  'cf_server',
  'health',
  'db',
  'pool',
  'aggregator',
  'evaluator',
  'scalingEngine',
  'metricCollector',
  'defaultStatWindowSecs',
  'defaultBreachDurationSecs',
  'circuitBreaker',
  'http_client_timeout',
];
const ANCHOR_KEYS = new Set([
  'aggregator.aggregator_execute_interval',
  'aggregator.policy_poller_interval',
  'aggregator.save_interval',
  'aggregator.metric_poller_count',
  'aggregator.app_monitor_channel_size',
  'aggregator.app_metric_channel_size',
  'aggregator.metric_cache_size_per_app',
  'evaluator.evaluation_manager_execute_interval',
  'evaluator.evaluator_count',
  'evaluator.trigger_array_channel_size',
]);

// ---
const defaults = suite('defaultConfig');

defaults('holds the code defaults with durations in milliseconds', () => {
  const config = defaultConfig();
  assert.is(config.logging.level, 'info');
  assert.is(config.server.port, 8080);
  assert.is(config.cf_server.port, 8082);
  assert.is(config.health.server_config.port, 8081);
  assert.is(config.health.readiness_enabled, false);
  assert.is(config.http_client_timeout, 5000);
  assert.is(config.circuitBreaker.back_off_max_interval, 7_200_000);
  assert.is(config.aggregator.metric_cache_size_per_app, 100);
  assert.is(config.defaultStatWindowSecs, 120);
  assert.is(config.defaultBreachDurationSecs, 120);
  assert.equal(config.pool, { total_instances: 1, instance_index: 0 });
  assert.is(config.live.max_buffered_events, 1000);
  assert.is(config.logcache.request_concurrency, 100);
  assert.is(config.logcache.collection, 'polling');
  assert.is(config.logcache.stream_source_ids, 200);
  assert.is(config.metricCollector.log_stream_url, '');
  assert.is(config.decisions.retention, 7 * 24 * 3_600_000);
  assert.is(config.decisions.max_rows_per_app, 1000);
});

defaults('is frozen and fresh on every call', () => {
  const a = defaultConfig();
  assert.ok(Object.isFrozen(a) && Object.isFrozen(a.health.basic_auth));
  assert.is.not(a, defaultConfig());
  assert.equal(a, defaultConfig());
});

// ---
const readme = suite('configuration reference');

readme("docs/configuration.md documents every key, the anchor's and ours", () => {
  const text = readFileSync(join(import.meta.dirname, '../../../../docs/configuration.md'), 'utf8');
  for (const key of keysOf(configSchema))
    assert.ok(text.includes(`| \`${key}\``), `docs/configuration.md misses ${key}`);
});

readme('marks every key we add to the anchor schema as ours', () => {
  const text = readFileSync(join(import.meta.dirname, '../../../../docs/configuration.md'), 'utf8');
  const own = keysOf(configSchema).filter((key) => {
    const [section] = key.split('.');
    return (
      !ANCHOR_SECTIONS.includes(section ?? '') ||
      ((section === 'aggregator' || section === 'evaluator') && !ANCHOR_KEYS.has(key))
    );
  });
  assert.ok(own.length >= 10);
  for (const key of own)
    assert.match(text, new RegExp(`\\| \`${key.replace(/\./g, '\\.')}\` \\(ours\\)`), `${key} is not marked (ours)`);
});

defaults.run();
readme.run();
