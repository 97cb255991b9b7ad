import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { asyncScheduler, BehaviorSubject, firstValueFrom, interval, filter, scan, timeout } from 'rxjs';
import { collectMetrics } from '../../pipelines/collect-metrics.ts';
import type { CollectEvent } from '../../pipelines/collect-metrics.ts';
import { createLogCacheClient } from '../../lib/adapters/logcache/logcache-client.ts';
import { createMetricSources } from '../../lib/adapters/logcache/metric-sources.ts';
import { createPasswordGrantProvider } from '../../lib/adapters/uaa/password-grant-provider.ts';
import { startLogCacheServer } from '../../lib/tools/simulation/logcache-server.ts';
import { startUaaServer } from '../../lib/tools/simulation/uaa-server.ts';
import type { Envelope } from '../../lib/core/model/envelope.ts';
import type { Monitors } from '../../lib/core/model/policy.ts';
import { msToNs } from '../../lib/core/time/ns.ts';

// ---
const peers = suite('collectMetrics against the simulated UAA and log-cache');

peers('collects gauges and PromQL metrics, surviving an expired token and a failing app', async () => {
  const uaa = await startUaaServer({
    clients: [{ id: 'cf', secret: '', grants: ['password'] }],
    users: [{ username: 'u', password: 'p' }],
  });
  const lc = await startLogCacheServer({
    requireToken: uaa.registry.check,
    faults: { decide: (r) => (r.sourceId === 'broken' ? 'error' : undefined) },
  });
  try {
    const now = msToNs(Date.now());
    lc.store.add(
      ...[0, 1].map(
        (i): Envelope => ({
          timestamp: now - 2_000_000_000n,
          sourceId: 'app',
          instanceId: String(i),
          tags: {},
          gauge: { memory: { unit: 'bytes', value: 1048576 }, memory_quota: { unit: 'bytes', value: 2097152 } },
        }),
      ),
      {
        timestamp: now - 1_000_000_000n,
        sourceId: 'app',
        instanceId: '0',
        tags: { peer_type: 'Client' },
        timer: { name: 'http', start: 0n, stop: 7_500_000n },
      },
    );
    const auth = createPasswordGrantProvider({
      url: uaa.url,
      username: 'u',
      password: 'p',
      now: () => msToNs(Date.now()),
    });
    const client = createLogCacheClient({
      url: lc.url,
      auth,
      timeoutMs: 2000,
      retry: { limit: 1, initialMs: 5, maxMs: 5 },
      concurrency: 4,
    });
    const monitor$ = new BehaviorSubject<Monitors>(
      new Map([
        ['app', ['memoryutil', 'responsetime']],
        ['broken', ['cpu']],
      ]),
    );
    const events$ = collectMetrics(
      { tick$: interval(40), monitor$ },
      {
        scheduler: asyncScheduler,
        statWindowSecs: 120,
        concurrency: 4,
        ...createMetricSources(client, { promQlWindowSecs: 40 }),
      },
    );
    let expired = false;
    const seen = await firstValueFrom(
      events$.pipe(
        scan((all, e: CollectEvent) => {
          if (!expired && e.kind === 'envelopes') {
            uaa.registry.expire();
            expired = true;
          }
          return [...all, e];
        }, [] as CollectEvent[]),
        filter(
          (all) =>
            all.filter((e) => e.kind === 'envelopes').length >= 2 &&
            all.some((e) => e.kind === 'metric') &&
            all.some((e) => e.kind === 'failed'),
        ),
        timeout(5000),
      ),
    );
    const first = seen.find((e) => e.kind === 'envelopes');
    assert.is(first?.kind === 'envelopes' ? first.envelopes.length : -1, 2);
    const metric = seen.find((e) => e.kind === 'metric');
    assert.equal(metric?.kind === 'metric' ? [metric.metric.name, metric.metric.value, metric.metric.unit] : [], [
      'responsetime',
      '8',
      'ms',
    ]);
    const failed = seen.find((e) => e.kind === 'failed');
    assert.equal(failed?.kind === 'failed' ? [failed.appId, /unexpected status code 503/.test(failed.error)] : [], [
      'broken',
      true,
    ]);
    // The second read starts where the first ended: nothing twice.
    const reads = lc.requests.filter((r) => r.sourceId === 'app' && r.status === 200);
    assert.is(reads[1]?.params.get('start_time'), reads[0]?.params.get('end_time'));
    assert.ok(
      lc.requests.some((r) => r.status === 404),
      'the expired token was answered 404 and refreshed',
    );
    assert.ok(uaa.requests.length >= 2);
  } finally {
    await Promise.all([lc.close(), uaa.close()]);
  }
});

peers.run();
