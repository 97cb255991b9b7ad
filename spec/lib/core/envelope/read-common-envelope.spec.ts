import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createCommonEnvelopeReader } from '../../../../lib/core/envelope/read-common-envelope.ts';
import { parseEnvelope } from '../../../../lib/core/envelope/parse-envelope.ts';
import { loadFixture } from './fixtures/load-fixture.ts';

/** The same fields on an object without `Object.prototype`: the fast reader declines it, so parseEnvelope reads it the general way. */
const generalPathOf = (raw: object): object => Object.assign(Object.create(null) as object, raw);

const batchOf = (fixture: string): unknown[] =>
  (loadFixture(fixture) as { envelopes: { batch: unknown[] } }).envelopes.batch;
const FIXTURES = [
  'read-container-gauges.json',
  'read-container-gauges-combined.json',
  'read-custom-metrics.json',
  'read-http-timers.json',
  'read-logs-counters-events.json',
];

// ---
const fast = suite('createCommonEnvelopeReader');

fast('reads every fixture envelope exactly as the general reader does', () => {
  const read = createCommonEnvelopeReader();
  for (const fixture of FIXTURES) {
    for (const raw of batchOf(fixture)) {
      const quick = read(raw);
      assert.ok(quick !== undefined, `${fixture}: the common shape was declined`);
      const general = parseEnvelope(generalPathOf(raw as object));
      assert.equal(general, { ok: true, envelope: quick }, fixture);
    }
  }
});

fast(
  'declines lowerCamelCase, numeric instance ids, string doubles and exotic objects, leaving them to the general reader',
  () => {
    const read = createCommonEnvelopeReader();
    const gauge = {
      timestamp: '1',
      source_id: 'a',
      instance_id: '0',
      gauge: { metrics: { cpu: { unit: '%', value: 1 } } },
    };
    const declined: unknown[] = [
      { ...gauge, source_id: undefined, sourceId: 'a' },
      { ...gauge, instance_id: 3 },
      { ...gauge, gauge: { metrics: { cpu: { unit: '%', value: 'NaN' } } } },
      { ...gauge, gauge: { metrics: JSON.parse('{"__proto__":{"unit":"u","value":1}}') } },
      { ...gauge, tags: { a: 1 } },
      { ...gauge, tags: { [Symbol('s')]: 'x' } },
      { ...gauge, timer: { name: 'http', start: '1', stop: '2' } },
      generalPathOf(gauge),
      [gauge],
    ];
    declined.forEach((raw, i) => {
      assert.is(read(raw), undefined, `case ${i}`);
    });
    assert.ok(read(gauge) !== undefined);
  },
);

fast('shares one tags object, one instance id and one timestamp among equal envelopes of an instance', () => {
  const read = createCommonEnvelopeReader();
  const raw = (value: number) =>
    JSON.parse(
      `{"timestamp":"1731578415123456000","source_id":"app","instance_id":"10","tags":{"origin":"rep","index":"g-1"},"gauge":{"metrics":{"cpu":{"unit":"percentage","value":${value}}}}}`,
    );
  const [a, b] = [read(raw(1)), read(raw(2))];
  assert.ok(a !== undefined && b !== undefined);
  assert.is(a.tags, b.tags);
  assert.is(a.instanceId, b.instanceId);
  assert.is(a.timestamp, 1731578415123456000n);
  const other = read(
    JSON.parse(
      '{"timestamp":"1","source_id":"app","instance_id":"10","tags":{"origin":"rep","index":"g-2"},"gauge":{"metrics":{}}}',
    ),
  );
  assert.equal(other?.tags, { origin: 'rep', index: 'g-2' });
  assert.is.not(other?.tags, a.tags);
});

fast.run();

// ---
const property = suite('parseEnvelope: fast and general readers agree');

const anyValue = fc.oneof(fc.jsonValue(), fc.bigInt(), fc.double(), fc.constant(undefined), fc.constant(null));
const int64Text = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 65n), max: 2n ** 65n }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('007', '-0', '', '-', '1.0', ' 1', '0x10', '18446744073709551615') },
);
const int64Like = fc.oneof(
  { weight: 6, arbitrary: int64Text },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.bigInt() },
  { weight: 1, arbitrary: anyValue },
);
const plain = { noNullPrototype: true } as const;
const tagsArb = fc.dictionary(
  fc.constantFrom('origin', 'index', 'source_id', '__proto__', 'constructor', '0'),
  fc.constantFrom('rep', 'web', '0', '', 'g-1'),
  plain,
);
const metricArb = fc.record(
  { unit: fc.constantFrom('%', 'bytes', ''), value: fc.oneof(fc.double(), fc.integer()) },
  { requiredKeys: ['value'], ...plain },
);
const metricsArb = fc.dictionary(
  fc.constantFrom('cpu', 'memory', 'memory_quota', 'queue', '__proto__', 'toString'),
  metricArb,
  plain,
);
const head = {
  timestamp: int64Text,
  source_id: fc.constantFrom('app', 'other'),
  instance_id: fc.constantFrom('0', '1', '12', ''),
  deprecated_tags: fc.constant({}),
  tags: tagsArb,
};
const validEnvelope = fc.oneof(
  { weight: 4, arbitrary: fc.record({ ...head, gauge: fc.record({ metrics: metricsArb }, plain) }, plain) },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        ...head,
        timer: fc.record(
          { name: fc.constantFrom('http', ''), start: int64Text, stop: int64Text },
          { requiredKeys: ['start', 'stop'], ...plain },
        ),
      },
      plain,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        ...head,
        counter: fc.record(
          { name: fc.constant('rx'), delta: int64Text, total: int64Text },
          { requiredKeys: ['total'], ...plain },
        ),
      },
      plain,
    ),
  },
  { weight: 1, arbitrary: fc.record({ ...head, log: fc.record({ payload: fc.string() }, plain) }, plain) },
);
const FIELDS = [
  'timestamp',
  'source_id',
  'sourceId',
  'instance_id',
  'instanceId',
  'tags',
  'gauge',
  'timer',
  'counter',
  'log',
  'event',
];
/** A well-formed envelope, half the time with one field (top level, a tag, or a gauge metric part) replaced. */
const shaped = fc
  .tuple(validEnvelope, fc.constantFrom(...FIELDS), anyValue, int64Like, fc.integer({ min: 0, max: 5 }))
  .map(([envelope, field, value, int, how]) => {
    const raw: Record<string, unknown> = { ...envelope };
    if (how === 1) raw[field] = value;
    if (how === 2) raw['timestamp'] = int;
    if (how === 3 && raw['gauge'] !== undefined)
      raw['gauge'] = { metrics: { cpu: { unit: value, value: 1 }, memory: { unit: 'u', value } } };
    if (how === 4) raw['tags'] = { ...(raw['tags'] as object), bad: value };
    return raw;
  });

property('gives the same result (envelope or reason) whichever reader takes the envelope', () => {
  const read = createCommonEnvelopeReader();
  let taken = 0;
  fc.assert(
    fc.property(shaped, (raw) => {
      if (read(raw) !== undefined) taken += 1;
      assert.equal(parseEnvelope(raw), parseEnvelope(generalPathOf(raw)));
    }),
    { numRuns: 4000 },
  );
  // The comparison means something only if the fast reader took a good share of them.
  assert.ok(taken > 600, `the fast reader took only ${taken} of 4000`);
});

property('gives the same result for envelopes that differ from a good one in one field', () => {
  const good = {
    timestamp: '1731578415123456000',
    source_id: 'app',
    instance_id: '0',
    deprecated_tags: {},
    tags: { origin: 'rep' },
    gauge: { metrics: { cpu: { unit: 'percentage', value: 12.5 } } },
  };
  fc.assert(
    fc.property(fc.constantFrom(...Object.keys(good), 'timer', 'log'), anyValue, (field, value) => {
      const raw = { ...good, [field]: value };
      assert.equal(parseEnvelope(raw), parseEnvelope(generalPathOf(raw)));
    }),
    { numRuns: 2000 },
  );
});

property.run();
