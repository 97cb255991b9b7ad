import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { answerPromQl, formatSampleValue } from '../../../../lib/tools/simulation/logcache-promql.ts';
import { createEnvelopeStore } from '../../../../lib/tools/simulation/logcache-store.ts';
import { startLogCacheServer } from '../../../../lib/tools/simulation/logcache-server.ts';
import { parseEnvelope } from '../../../../lib/core/envelope/parse-envelope.ts';
import { httpTimerSamples } from '../../../../lib/core/metrics/http-timer-samples.ts';
import { promQlQuery, promQlTime, samplesFromPromQl } from '../../../../lib/core/metrics/promql.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';
import { FIXTURE_DIR } from '../../../lib/core/envelope/fixtures/load-fixture.ts';

const FIXTURES = FIXTURE_DIR;
const APP = '6e4b1f7a-3c2d-4b8e-9f10-2a7c5d9e8b41';
const AT = 1731578460_000_000_000n;
const fixture = (file: string): unknown => JSON.parse(readFileSync(`${FIXTURES}/${file}`, 'utf8'));
const timersStore = () => {
  const store = createEnvelopeStore();
  for (const raw of (fixture('read-http-timers.json') as { envelopes: { batch: unknown[] } }).envelopes.batch) {
    const r = parseEnvelope(raw);
    if (r.ok) store.add(r.envelope);
  }
  return store;
};
const ask = (query: string, time: string | undefined = '1731578460.000', store = timersStore(), now = AT) =>
  answerPromQl(new URLSearchParams(time === undefined ? { query } : { query, time }), store, now);

// ---
const promql = suite('answerPromQl');

promql('computes throughput per instance from Client timers over the window', () => {
  const answer = ask(promQlQuery('throughput', APP, 60));
  assert.is(answer.status, 200);
  assert.is(
    answer.body,
    '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"instance_id":"0"},"value":[1731578460.000,"0.03333333333333333"]},{"metric":{"instance_id":"1"},"value":[1731578460.000,"0.016666666666666666"]}]}}',
  );
  const body = JSON.parse(answer.body) as unknown;
  assert.equal(Object.keys(body as object), Object.keys(fixture('promql-throughput.json') as object));
  assert.equal(
    samplesFromPromQl(body, APP, 'throughput', AT).map((s) => [s.instanceIndex, s.value, s.unit]),
    [
      [0, '1', 'rps'],
      [1, '1', 'rps'],
    ],
  );
});

promql('computes response time as the mean over series of each series maximum, in ms', () => {
  // Instance 0 has two requests with different tags (two series): max 38.196156 ms and 2.507168 ms.
  const body = JSON.parse(ask(promQlQuery('responsetime', APP, 60)).body) as {
    data: { result: Array<{ value: [number, string] }> };
  };
  assert.equal(
    body.data.result.map((r) => r.value[1]),
    ['20.351662', '63.375198'],
  );
});

promql('accepts double quotes, a time without decimals and an RFC 3339 time', () => {
  const doubled = `sum by (instance_id) (count_over_time(http{source_id="${APP}",peer_type="Client"}[60s])) / 60`;
  assert.is(ask(doubled, '1731578460').status, 200);
  assert.match(ask(doubled, '2024-11-14T10:01:00Z').body, /"value":\[1731578460\.000,"0\.0333/);
  assert.match(ask(doubled, undefined, timersStore(), AT + 456_000_000n).body, /1731578460\.000/);
});

promql('answers an empty vector when nothing is in the window', () => {
  const answer = ask(promQlQuery('throughput', APP, 5));
  assert.equal(JSON.parse(answer.body), fixture('promql-empty-vector.json'));
});

promql('refuses other queries with 400 bad_data documents', () => {
  const none = ask('sum(memory)');
  assert.is(none.status, 400);
  assert.equal(JSON.parse(none.body), fixture('promql-error-no-source-id.json'));
  const other = ask(`memory{source_id="${APP}"}`);
  assert.is(other.status, 400);
  const body = JSON.parse(other.body) as Record<string, string>;
  assert.equal(Object.keys(body), Object.keys(fixture('promql-error-parse.json') as object));
  assert.is(body['errorType'], 'bad_data');
  assert.is(ask(promQlQuery('throughput', APP, 60), 'yesterday').status, 400);
  assert.is(ask('').status, 400);
});

promql('agrees with the local computation after ceil', () => {
  const timer = fc.record({
    offsetMs: fc.integer({ min: 0, max: 90_000 }),
    instance: fc.constantFrom('0', '1', '2'),
    peer: fc.constantFrom('Client', 'Server'),
    request: fc.constantFrom('a', 'b', 'c', 'd'),
    durationUs: fc.integer({ min: 0, max: 3_000_000 }),
  });
  fc.assert(
    fc.property(
      fc.array(timer, { maxLength: 40 }),
      fc.integer({ min: 1, max: 90 }),
      fc.integer({ min: 0, max: 999 }),
      fc.constantFrom('throughput' as const, 'responsetime' as const),
      (timers, windowSecs, instantMs, type) => {
        const base = 1731578400_000_000_000n;
        const envelopes = timers.map(
          (t): Envelope => ({
            timestamp: base + BigInt(t.offsetMs) * 1_000_000n + 123n,
            sourceId: APP,
            instanceId: t.instance,
            tags: { peer_type: t.peer, request_id: t.request },
            timer: { name: 'http', start: 0n, stop: BigInt(t.durationUs) * 1000n },
          }),
        );
        const store = createEnvelopeStore();
        store.add(...envelopes);
        const now = base + 60_000_000_000n + BigInt(instantMs) * 1_000_000n;
        const answer = answerPromQl(
          new URLSearchParams({ query: promQlQuery(type, APP, windowSecs), time: promQlTime(now) }),
          store,
          now,
        );
        const remote = samplesFromPromQl(JSON.parse(answer.body), APP, type, now).map((s) => [
          s.instanceIndex,
          s.value,
        ]);
        const local = httpTimerSamples(envelopes, type, windowSecs, now, now, APP).map((s) => [
          s.instanceIndex,
          s.value,
        ]);
        assert.equal(remote, local);
      },
    ),
    { numRuns: 300 },
  );
});

promql('formats values as Go does', () => {
  assert.equal([12.35, 0, 1e21, 1e-7, NaN, Infinity, -Infinity].map(formatSampleValue), [
    '12.35',
    '0',
    '1000000000000000000000',
    '0.0000001',
    'NaN',
    '+Inf',
    '-Inf',
  ]);
});

// ---
const http = suite('GET /api/v1/query');

http('writes sample times as numbers with three decimals', async () => {
  const lc = await startLogCacheServer({ envelopes: timersStore(), now: () => AT });
  try {
    const url = `${lc.url}/api/v1/query?${new URLSearchParams({ query: promQlQuery('throughput', APP, 60), time: '1731578460.000' })}`;
    const text = await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
    assert.ok(text.includes('[1731578460.000,"0.03333333333333333"]'), text);
    assert.ok(text.endsWith('}\n'));
  } finally {
    await lc.close();
  }
});

promql.run();
http.run();
