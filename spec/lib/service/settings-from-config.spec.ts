import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultConfig } from '../../../lib/adapters/config/schema.ts';
import type { Config } from '../../../lib/adapters/config/schema.ts';
import { settingsFromConfig } from '../../../lib/service/settings-from-config.ts';

const test = suite('settingsFromConfig: collection');

const withCollection = (collection: 'polling' | 'streaming'): Config => {
  const config = defaultConfig();
  return { ...config, logcache: { ...config.logcache, collection } };
};

/** The RLP gateway ends a stream 14 minutes after it opened. */
const GATEWAY_STREAM_TIMEOUT_SECS = 14 * 60;

test('streaming renews each stream after 12 minutes, before the gateway ends it at 14', () => {
  const config = withCollection('streaming');
  const { collection } = settingsFromConfig(config);
  assert.equal(collection, {
    mode: 'streaming',
    sourcesPerConnection: 200,
    reconnect: { initialMs: 1_000, maxMs: 60_000 },
    renewAfterSecs: 720,
  });
  // The renewal waits for the next aggregation tick, and the old stream serves 5 s past the takeover.
  if (collection.mode !== 'streaming') return;
  const latestEndSecs = collection.renewAfterSecs + config.aggregator.aggregator_execute_interval / 1000 + 5;
  assert.ok(latestEndSecs < GATEWAY_STREAM_TIMEOUT_SECS, String(latestEndSecs));
});

test('polling has no stream settings', () => {
  assert.equal(settingsFromConfig(withCollection('polling')).collection, { mode: 'polling' });
});

test.run();
