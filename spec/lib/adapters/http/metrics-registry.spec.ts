import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PROMETHEUS_CONTENT_TYPE, createMetricsRegistry } from '../../../../lib/adapters/http/metrics-registry.ts';

const valueFor = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

const registry = suite('createMetricsRegistry');

registry('exposes the anchor gauges and the Node process collectors', async () => {
  const metrics = createMetricsRegistry();
  const text = await metrics.render();
  assert.is(metrics.contentType, PROMETHEUS_CONTENT_TYPE);
  assert.is(PROMETHEUS_CONTENT_TYPE, 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores');
  assert.is(valueFor(text, 'autoscaler_eventgenerator_concurrent_http_request'), 0);
  for (const db of ['appMetricDB', 'policyDB']) {
    for (const suffix of [
      'max_open_connections',
      'open_connections',
      'in_use',
      'idle',
      'wait_count',
      'wait_duration',
      'max_idle_closed',
      'max_lifetime_closed',
    ]) {
      assert.is(valueFor(text, `autoscaler_eventgenerator_${db}_${suffix}`), 0, `${db}_${suffix}`);
    }
  }
  assert.ok(text.includes('process_resident_memory_bytes'));
  assert.ok(text.includes('nodejs_heap_size_used_bytes'));
});

registry('sets pool statistics per database, leaving absent fields', async () => {
  const metrics = createMetricsRegistry({ collectDefaults: false });
  metrics.setPoolStats('policyDB', { maxOpenConnections: 100, inUse: 3, waitDurationNs: 1_500_000 });
  metrics.setPoolStats('policyDB', { idle: 7 });
  const text = await metrics.render();
  assert.is(valueFor(text, 'autoscaler_eventgenerator_policyDB_max_open_connections'), 100);
  assert.is(valueFor(text, 'autoscaler_eventgenerator_policyDB_in_use'), 3);
  assert.is(valueFor(text, 'autoscaler_eventgenerator_policyDB_idle'), 7);
  assert.is(valueFor(text, 'autoscaler_eventgenerator_policyDB_wait_duration'), 1_500_000);
  assert.is(valueFor(text, 'autoscaler_eventgenerator_appMetricDB_in_use'), 0);
});

registry('counts in-flight requests, ending each once', async () => {
  const metrics = createMetricsRegistry({ collectDefaults: false });
  const a = metrics.trackHttpRequest();
  const b = metrics.trackHttpRequest();
  assert.is(valueFor(await metrics.render(), 'autoscaler_eventgenerator_concurrent_http_request'), 2);
  a();
  a();
  assert.is(valueFor(await metrics.render(), 'autoscaler_eventgenerator_concurrent_http_request'), 1);
  b();
  assert.is(valueFor(await metrics.render(), 'autoscaler_eventgenerator_concurrent_http_request'), 0);
});

registry('counts our own events with their labels', async () => {
  const metrics = createMetricsRegistry({ collectDefaults: false });
  metrics.envelopesParsed(5);
  metrics.envelopesRejected('no-instance-id');
  metrics.appMetricsProduced();
  metrics.appMetricsSaved(10);
  metrics.appMetricsRejected('unit-too-long', 2);
  metrics.appMetricsDropped('queue-full');
  metrics.scalingCall('scaled');
  metrics.scalingCall('scaled');
  metrics.breakerStateChanged('open');
  metrics.setPoliciesLoaded(42);
  metrics.policiesRejected('invalid-json');
  metrics.logCacheRequest('ok');
  const text = await metrics.render();
  const expected: Record<string, number> = {
    autoscaler_eventgenerator_envelopes_parsed_total: 5,
    'autoscaler_eventgenerator_envelopes_rejected_total{reason="no-instance-id"}': 1,
    autoscaler_eventgenerator_app_metrics_produced_total: 1,
    autoscaler_eventgenerator_app_metrics_saved_total: 10,
    'autoscaler_eventgenerator_app_metrics_rejected_total{reason="unit-too-long"}': 2,
    'autoscaler_eventgenerator_app_metrics_dropped_total{reason="queue-full"}': 1,
    'autoscaler_eventgenerator_scaling_calls_total{outcome="scaled"}': 2,
    'autoscaler_eventgenerator_breaker_state_changes_total{state="open"}': 1,
    autoscaler_eventgenerator_policies_loaded: 42,
    'autoscaler_eventgenerator_policies_rejected_total{reason="invalid-json"}': 1,
    'autoscaler_eventgenerator_logcache_requests_total{outcome="ok"}': 1,
  };
  for (const [series, value] of Object.entries(expected)) assert.is(valueFor(text, series), value, series);
});

registry('keeps separate registries apart', async () => {
  const a = createMetricsRegistry({ collectDefaults: false });
  const b = createMetricsRegistry({ collectDefaults: false });
  a.scalingCall('failed');
  assert.is(valueFor(await b.render(), 'autoscaler_eventgenerator_scaling_calls_total{outcome="failed"}'), undefined);
});

registry.run();
