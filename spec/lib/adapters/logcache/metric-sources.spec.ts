import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom, timeout } from 'rxjs';
import { createMetricSources } from '../../../../lib/adapters/logcache/metric-sources.ts';
import { createLogCacheClient } from '../../../../lib/adapters/logcache/logcache-client.ts';
import { startLogCacheServer } from '../../../../lib/tools/simulation/logcache-server.ts';
import type { LogCacheServer } from '../../../../lib/tools/simulation/logcache-server.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const APP = 'app-guid';
const T0 = 1731578400_000_000_000n;
let lc: LogCacheServer;
const clientFor = (server: LogCacheServer) =>
  createLogCacheClient({
    url: server.url,
    timeoutMs: 2000,
    retry: { limit: 0, initialMs: 1, maxMs: 1 },
    concurrency: 4,
  });

// ---
const sources = suite('createMetricSources');
sources.after.each(() => lc.close());

sources('reads gauges of the window with the name filter, paging past the cap', async () => {
  lc = await startLogCacheServer();
  lc.store.add(
    ...Array.from(
      { length: 1200 },
      (_, i): Envelope => ({
        timestamp: T0 + BigInt(i),
        sourceId: APP,
        instanceId: '0',
        tags: {},
        gauge: { memory: { unit: 'bytes', value: i }, cpu: { unit: 'percentage', value: 1 } },
      }),
    ),
  );
  lc.store.add({
    timestamp: T0 + 5n,
    sourceId: APP,
    instanceId: '0',
    tags: {},
    timer: { name: 'memory', start: 0n, stop: 1n },
  });
  const { readEnvelopes } = createMetricSources(clientFor(lc), { promQlWindowSecs: 40 });
  const result = await firstValueFrom(readEnvelopes(APP, 'memory', T0, T0 + 2000n).pipe(timeout(5000)));
  assert.is(result.envelopes.length, 1200);
  assert.ok(result.envelopes.every((e) => Object.keys(e.gauge ?? {}).join() === 'memory'));
  assert.equal(
    lc.requests.map((r) => r.params.getAll('envelope_types')),
    [['GAUGE'], ['GAUGE']],
  );
});

sources('queries the autoscaler PromQL and returns ceiled samples', async () => {
  lc = await startLogCacheServer();
  lc.store.add(
    ...[0, 1, 1].map(
      (i, n): Envelope => ({
        timestamp: T0 - 1_000_000_000n - BigInt(n),
        sourceId: APP,
        instanceId: String(i),
        tags: { peer_type: 'Client', request_id: String(n) },
        timer: { name: 'http', start: 0n, stop: 1n },
      }),
    ),
  );
  const { queryPromQl } = createMetricSources(clientFor(lc), { promQlWindowSecs: 40 });
  const samples = await firstValueFrom(queryPromQl(APP, 'throughput', T0).pipe(timeout(5000)));
  assert.equal(
    samples.map((s) => [s.instanceIndex, s.value, s.unit]),
    [
      [0, '1', 'rps'],
      [1, '1', 'rps'],
    ],
  );
  assert.is(
    lc.requests[0]?.params.get('query'),
    `sum by (instance_id) (count_over_time(http{source_id='${APP}',peer_type='Client'}[40s])) / 40`,
  );
  assert.is(lc.requests[0]?.params.get('time'), '1731578400.000');
});

sources('fails a query whose type has no PromQL form, and a malformed vector', async () => {
  lc = await startLogCacheServer({ faults: { decide: () => 'garbage' } });
  const { queryPromQl } = createMetricSources(clientFor(lc), { promQlWindowSecs: 40 });
  const wrongType = await firstValueFrom(queryPromQl(APP, 'cpu', T0)).then(
    () => 'emitted',
    (e: Error) => e.message,
  );
  assert.match(wrongType, /cpu is not a PromQL metric type/);
  const garbage = await firstValueFrom(queryPromQl(APP, 'responsetime', T0)).then(
    () => 'emitted',
    (e: Error) => e.name,
  );
  assert.is(garbage, 'LogCacheDecodeError');
});

sources('aborts the request when unsubscribed', async () => {
  lc = await startLogCacheServer({ faults: { decide: () => 'hang' } });
  const { readEnvelopes } = createMetricSources(clientFor(lc), { promQlWindowSecs: 40 });
  const subscription = readEnvelopes(APP, 'cpu', T0, T0 + 1n).subscribe();
  for (let i = 0; i < 50 && lc.concurrency().inFlight === 0; i += 1) await sleep(10);
  assert.is(lc.concurrency().inFlight, 1);
  subscription.unsubscribe();
  for (let i = 0; i < 50 && lc.concurrency().inFlight > 0; i += 1) await sleep(10);
  assert.is(lc.concurrency().inFlight, 0);
});

sources.run();
