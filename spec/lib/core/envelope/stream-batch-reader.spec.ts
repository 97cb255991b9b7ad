import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeEnvelope } from '../../../../lib/core/envelope/envelope-json.ts';
import { parseStreamBatch } from '../../../../lib/core/envelope/parse-stream-batch.ts';
import { createStreamBatchReader } from '../../../../lib/core/envelope/stream-batch-reader.ts';
import type { Envelope, EnvelopeRead } from '../../../../lib/core/model/envelope.ts';
import { FIXTURE_DIR } from './fixtures/load-fixture.ts';

/** parseStreamBatch with the gauge envelopes none of whose metrics is in `keep` taken out. */
const definition = (data: string, keep?: ReadonlySet<string>): EnvelopeRead | string => {
  const read = parseStreamBatch(data);
  if (typeof read === 'string' || keep === undefined) return read;
  const kept = (e: Envelope) => e.gauge === undefined || Object.keys(e.gauge).some((name) => keep.has(name));
  return { envelopes: read.envelopes.filter(kept), rejected: read.rejected };
};

/** The fixture reads' envelopes, combined gauges unsplit as the gateway sends them. */
const fixtureBatch = (file: string): string => {
  const text = readFileSync(join(FIXTURE_DIR, file), 'utf8');
  const body = JSON.parse(text) as { envelopes: { batch: unknown[] } };
  return JSON.stringify({ batch: body.envelopes.batch });
};
const FIXTURES = [
  'read-container-gauges.json',
  'read-container-gauges-combined.json',
  'read-custom-metrics.json',
  'read-http-timers.json',
  'read-logs-counters-events.json',
];

const gauge = (timestamp: bigint, instance: string, metrics: Envelope['gauge'], tags = {}): Envelope => ({
  timestamp,
  sourceId: 'app-1',
  instanceId: instance,
  tags: { origin: 'rep', instance_id: instance, ...tags },
  gauge: metrics,
});
const encoded = (envelopes: readonly Envelope[]): string =>
  JSON.stringify({ batch: envelopes.map((e) => encodeEnvelope(e)) });
const emission = (t: bigint, instance: string): Envelope[] => [
  gauge(t, instance, { cpu: { unit: 'percentage', value: 12.5 }, memory: { unit: 'bytes', value: 314572800 } }),
  gauge(t + 7000n, instance, {
    cpu_entitlement: { unit: 'percentage', value: 3.25 },
    container_age: { unit: 'nanoseconds', value: 3.6e12 },
  }),
];
const KEEP: ReadonlySet<string> = new Set(['cpu', 'memory', 'memory_quota']);

const s = suite('createStreamBatchReader');

s('reads every fixture batch as parseStreamBatch does, with and without a gauge name set', () => {
  const read = createStreamBatchReader();
  for (const file of FIXTURES) {
    const data = fixtureBatch(file);
    assert.equal(read(data), definition(data), file);
    assert.equal(read(data, KEEP), definition(data, KEEP), `${file}, kept`);
  }
});

s('leaves out the gauges no name in the set asks for, and the set is read at each batch', () => {
  const read = createStreamBatchReader();
  const data = encoded([...emission(1_000_000_000_123n, '0'), ...emission(1_000_000_000_456n, '1')]);
  const kept = read(data, KEEP) as EnvelopeRead;
  assert.equal(
    kept.envelopes.map((e) => Object.keys(e.gauge ?? {})),
    [
      ['cpu', 'memory'],
      ['cpu', 'memory'],
    ],
  );
  assert.equal(kept, definition(data, KEEP));
  const wider = new Set([...KEEP, 'container_age']);
  assert.is((read(data, wider) as EnvelopeRead).envelopes.length, 4);
  assert.equal(read(data), definition(data));
  // The same instance's tags are one object, as the common reader shares them.
  const twice = read(encoded([...emission(2n, '0'), ...emission(3n, '0')])) as EnvelopeRead;
  assert.ok(twice.envelopes[0]!.tags === twice.envelopes[3]!.tags);
});

s('bad envelopes are rejected at their batch position with the general reason, the rest kept', () => {
  const read = createStreamBatchReader();
  const good = emission(1_000_000_000_000n, '0').map((e) => JSON.stringify(encodeEnvelope(e)));
  const bad = [
    '{"timestamp":"x1","source_id":"app-1","instance_id":"0","gauge":{"metrics":{"cpu":{"unit":"%","value":1}}}}',
    '{"timestamp":"1","source_id":"","instance_id":"0","gauge":{"metrics":{"cpu":{"unit":"%","value":1}}}}',
    '{"timestamp":"99999999999999999999","source_id":"a","instance_id":"0","gauge":{"metrics":{"cpu":{"unit":"%","value":1}}}}',
    '{"timestamp":"1","source_id":"a","instance_id":"0","gauge":{"metrics":{"cpu":{"unit":"%","value":"x"}}}}',
    '{"timestamp":"1","source_id":"a","instance_id":"0","tags":{"a":1},"gauge":{"metrics":{"cpu":{"unit":"%","value":1}}}}',
    '{"timestamp":"1","source_id":"a","instance_id":"0","gauge":{"metrics":{"cpu":{"unit":"%","value":1}}},"timer":{"name":"x","start":"1","stop":"2"}}',
    '{"timestamp":"1","source_id":"a\\"b","instance_id":"0","gauge":{"metrics":{"cpu":{"unit":"%","value":1}}}}',
    '{"timestamp":"1","source_id":"a","instance_id":"0","gauge":{"metrics":{"cpu":{"unit":"%","value":1},"cpu":{"unit":"%","value":2}}}}',
    '{"timestamp":"1","source_id":"a","instance_id":"0","gauge":{"metrics":{"__proto__":{"unit":"%","value":1}}}}',
    '{"timestamp":"1","source_id":"a","instance_id":"0","gauge":{"metrics":{"cpu":{"unit":"%","value":12345678901234567890}}}}',
    '{"timestamp":"1","source_id":"a","instance_id":"0","tags":{"__proto__":"x"},"gauge":{"metrics":{"cpu":{"unit":"%","value":1}}}}',
    '12345678901234567890',
    '"text"',
    'null',
    '[]',
    '{}',
  ];
  for (const [i, envelope] of bad.entries()) {
    const data = `{"batch":[${good[0]},${envelope},${good[1]}]}`;
    assert.equal(read(data), definition(data), `case ${i}`);
    assert.equal(read(data, KEEP), definition(data, KEEP), `case ${i}, kept`);
  }
});

s('data that is no batch gets the reason parseStreamBatch gives', () => {
  const read = createStreamBatchReader();
  const one = JSON.stringify(encodeEnvelope(emission(1n, '0')[0]!));
  const cases = [
    '',
    'not json',
    `{"batch":[${one}`,
    `{"batch":[${one},]}`,
    `{"batch":[${one}]} `,
    `{"batch":[${one.slice(0, -1)}]}`,
    `{"batch":[${one}${one}]}`,
    '{"batch":[]}',
    '{"batch":null}',
    '{"batch":{}}',
    '{"other":1,"batch":[]}',
    '[]',
    `{"batch":[${one.replace('app-1', '\ud800')}]}`,
    `{"batch":[${one.replace('app-1', 'äpp-☃')}]}`,
  ];
  for (const [i, data] of cases.entries()) assert.equal(read(data, KEEP), definition(data, KEEP), `case ${i}`);
});

s('matches parseStreamBatch on generated batches and their corruptions', () => {
  const read = createStreamBatchReader();
  const name = fc.constantFrom('cpu', 'memory', 'disk', 'cpu_entitlement', 'custom-ä', '1', '__proto__');
  const value = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -0, 1e300, 5e-324, 123.456));
  const envelope = fc.record({
    timestamp: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
    sourceId: fc.constantFrom('app-1', 'app-2', 'äpp'),
    instanceId: fc.constantFrom('0', '1', ''),
    tags: fc.dictionary(fc.constantFrom('a', 'b', '2', 'index', 'ü'), fc.string({ maxLength: 6 }), { maxKeys: 4 }),
    gauge: fc.dictionary(name, fc.record({ unit: fc.constantFrom('%', 'bytes', ''), value }), { maxKeys: 4 }),
  });
  const corruption = fc.option(
    fc.record({ at: fc.nat(), text: fc.constantFrom('"', '\\', ',', '}', ' ', 'x', '1', '\u0001', '\ud800') }),
  );
  fc.assert(
    fc.property(fc.array(envelope, { maxLength: 6 }), corruption, (envelopes, corrupt) => {
      let data = encoded(envelopes as Envelope[]);
      if (corrupt !== null) {
        const at = corrupt.at % (data.length + 1);
        data = data.slice(0, at) + corrupt.text + data.slice(at);
      }
      assert.equal(read(data), definition(data));
      assert.equal(read(data, KEEP), definition(data, KEEP));
    }),
    { numRuns: 2000 },
  );
});

s.run();
