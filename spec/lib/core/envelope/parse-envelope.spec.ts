import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { parseEnvelope } from '../../../../lib/core/envelope/parse-envelope.ts';
import type { ParseResult } from '../../../../lib/core/envelope/parse-envelope.ts';
import { parse } from '../../../../lib/core/json/bigint-json.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';

const accepted = (result: ParseResult): Envelope => {
  if (!result.ok) throw new Error(`expected the envelope to be accepted, got: ${result.reason}`);
  return result.envelope;
};

const gaugeWire = {
  timestamp: '1731578415123456000',
  source_id: 'app-1',
  instance_id: '0',
  deprecated_tags: {},
  tags: { origin: 'rep' },
  gauge: { metrics: { memory: { unit: 'bytes', value: 318767104 } } },
};

// ---
const valid = suite('parseEnvelope: valid envelopes');

valid('reads a gauge envelope in the proto field names log-cache writes', () => {
  const envelope = accepted(parseEnvelope(gaugeWire));
  assert.equal(envelope, {
    timestamp: 1731578415123456000n,
    sourceId: 'app-1',
    instanceId: '0',
    tags: { origin: 'rep' },
    gauge: { memory: { unit: 'bytes', value: 318767104 } },
  });
});

valid('reads the lowerCamelCase field names and a numeric timestamp', () => {
  const envelope = accepted(
    parseEnvelope({
      timestamp: 1111,
      sourceId: 'app-1',
      instanceId: '3',
      gauge: { metrics: { cpu: { unit: '%', value: 1.5 } } },
    }),
  );
  assert.is(envelope.timestamp, 1111n);
  assert.is(envelope.sourceId, 'app-1');
  assert.is(envelope.instanceId, '3');
  assert.equal(envelope.tags, {});
});

valid('prefers the proto field name when both spellings are present', () => {
  const envelope = accepted(parseEnvelope({ ...gaugeWire, sourceId: 'other', instanceId: '9' }));
  assert.is(envelope.sourceId, 'app-1');
  assert.is(envelope.instanceId, '0');
});

valid('keeps a 19-digit timestamp exact, from a string and from a bigint-json decoded number', () => {
  assert.is(
    accepted(parseEnvelope({ ...gaugeWire, timestamp: '1731578400123456789' })).timestamp,
    1731578400123456789n,
  );
  const decoded = parse('{"timestamp":1731578400123456789,"source_id":"a","gauge":{"metrics":{}}}');
  assert.is(accepted(parseEnvelope(decoded)).timestamp, 1731578400123456789n);
});

valid('reads timer start and stop as exact int64', () => {
  const envelope = accepted(
    parseEnvelope({
      ...gaugeWire,
      gauge: undefined,
      timer: { name: 'http', start: '1731578421402401977', stop: '1731578421440598133' },
    }),
  );
  assert.equal(envelope.timer, { name: 'http', start: 1731578421402401977n, stop: 1731578421440598133n });
  assert.is(envelope.gauge, undefined);
});

valid('reads a counter, with delta defaulting to 0', () => {
  const envelope = accepted(
    parseEnvelope({ timestamp: '5', source_id: 'a', counter: { name: 'rx_bytes', total: '18446744073709551615' } }),
  );
  assert.equal(envelope.counter, { name: 'rx_bytes', delta: 0n, total: 18446744073709551615n });
});

valid('accepts non-finite and string-encoded gauge doubles', () => {
  const envelope = accepted(
    parseEnvelope({
      ...gaugeWire,
      gauge: {
        metrics: { a: { value: 'NaN' }, b: { value: 'Infinity' }, c: { value: '-Infinity' }, d: { value: '2.5' } },
      },
    }),
  );
  assert.ok(Number.isNaN(envelope.gauge?.['a']?.value));
  assert.is(envelope.gauge?.['b']?.value, Number.POSITIVE_INFINITY);
  assert.is(envelope.gauge?.['c']?.value, Number.NEGATIVE_INFINITY);
  assert.equal(envelope.gauge?.['d'], { unit: '', value: 2.5 });
});

valid('accepts a big integer gauge literal that the JSON decoder turned into a bigint', () => {
  const decoded = parse(
    '{"timestamp":"1","source_id":"a","gauge":{"metrics":{"x":{"unit":"u","value":100000000000000000000}}}}',
  );
  assert.is(accepted(parseEnvelope(decoded)).gauge?.['x']?.value, 1e20);
});

valid('accepts log and event envelopes without gauge, timer or counter', () => {
  const log = accepted(
    parseEnvelope({ timestamp: '1', source_id: 'a', instance_id: '0', log: { payload: 'aGk=', type: 'OUT' } }),
  );
  const event = accepted(parseEnvelope({ timestamp: '1', source_id: 'a', event: { title: 't', body: 'b' } }));
  for (const envelope of [log, event])
    assert.equal([envelope.gauge, envelope.timer, envelope.counter], [undefined, undefined, undefined]);
});

valid('defaults a missing instance id and unit to the proto3 empty string', () => {
  const envelope = accepted(parseEnvelope({ timestamp: '1', source_id: 'a', gauge: { metrics: { q: { value: 3 } } } }));
  assert.is(envelope.instanceId, '');
  assert.equal(envelope.gauge, { q: { unit: '', value: 3 } });
});

valid('keeps a gauge named __proto__ as an ordinary metric', () => {
  const decoded = parse('{"timestamp":"1","source_id":"a","gauge":{"metrics":{"__proto__":{"unit":"u","value":1}}}}');
  const gauge = accepted(parseEnvelope(decoded)).gauge ?? {};
  assert.equal(Object.keys(gauge), ['__proto__']);
  assert.is(Object.getPrototypeOf(gauge), Object.prototype);
});

valid.run();

// ---
const malformed = suite('parseEnvelope: malformed envelopes');

const base = {
  timestamp: '1111',
  source_id: 'app',
  instance_id: '0',
  gauge: { metrics: { cpu: { unit: '%', value: 1 } } },
};
const badInputs: [string, unknown, RegExp][] = [
  ['null', null, /not a JSON object \(got null\)/],
  ['an array', [base], /not a JSON object \(got an array\)/],
  ['a string', 'envelope', /not a JSON object \(got a string\)/],
  ['no timestamp', { ...base, timestamp: undefined }, /^timestamp is missing$/],
  ['a non-numeric timestamp', { ...base, timestamp: 'yesterday' }, /^timestamp is not an int64/],
  ['a fractional timestamp', { ...base, timestamp: 1.5 }, /^timestamp is not an int64 \(a fractional/],
  [
    'a timestamp number that lost precision',
    // biome-ignore lint/correctness/noPrecisionLoss: the case is a number that lost precision
    { ...base, timestamp: 1731578400123456789 },
    /^timestamp is a number beyond 2\^53/,
  ],
  ['a timestamp beyond int64', { ...base, timestamp: '9223372036854775808' }, /^timestamp is out of the int64 range$/],
  ['no source_id', { ...base, source_id: undefined }, /^source_id is missing$/],
  ['a numeric source_id', { ...base, source_id: 42 }, /^source_id is not a string \(got a number\)$/],
  ['an empty source_id', { ...base, source_id: '' }, /^source_id is empty$/],
  ['an object instance_id', { ...base, instance_id: {} }, /^instance_id is not a string \(got an object\)$/],
  ['tags that are a list', { ...base, tags: ['a'] }, /^tags is not an object \(got an array\)$/],
  ['a numeric tag value', { ...base, tags: { peer_type: 1 } }, /^tag "peer_type" is not a string \(got a number\)$/],
  ['no message', { timestamp: '1', source_id: 'app' }, /^envelope carries no message/],
  [
    'two messages',
    { ...base, timer: { name: 'http', start: '1', stop: '2' } },
    /^envelope carries more than one message \(gauge, timer\)$/,
  ],
  ['a gauge that is a number', { ...base, gauge: 5 }, /^gauge is not an object \(got a number\)$/],
  [
    'gauge metrics that are a list',
    { ...base, gauge: { metrics: [] } },
    /^gauge\.metrics is not an object \(got an array\)$/,
  ],
  [
    'a gauge metric that is a number',
    { ...base, gauge: { metrics: { cpu: 5 } } },
    /^gauge metric "cpu" is not an object/,
  ],
  [
    'a gauge value that is text',
    { ...base, gauge: { metrics: { cpu: { unit: '%', value: 'high' } } } },
    /^gauge metric "cpu" value is not a number \(got a string\)$/,
  ],
  [
    'a gauge value that is a boolean',
    { ...base, gauge: { metrics: { cpu: { unit: '%', value: true } } } },
    /^gauge metric "cpu" value is not a number \(got a boolean\)$/,
  ],
  [
    'a gauge without value',
    { ...base, gauge: { metrics: { cpu: { unit: '%' } } } },
    /^gauge metric "cpu" has no value$/,
  ],
  [
    'a numeric gauge unit',
    { ...base, gauge: { metrics: { cpu: { unit: 7, value: 1 } } } },
    /^gauge metric "cpu" unit is not a string/,
  ],
  [
    'a fractional timer start',
    { ...base, gauge: undefined, timer: { name: 'http', start: '1.5', stop: '2' } },
    /^timer\.start is not an int64/,
  ],
  [
    'a timer without stop',
    { ...base, gauge: undefined, timer: { name: 'http', start: '1' } },
    /^timer\.stop is missing$/,
  ],
  [
    'a numeric timer name',
    { ...base, gauge: undefined, timer: { name: 1, start: '1', stop: '2' } },
    /^timer\.name is not a string/,
  ],
  [
    'a negative counter total',
    { ...base, gauge: undefined, counter: { name: 'rx', total: '-1' } },
    /^counter\.total is out of the uint64 range$/,
  ],
  ['a log that is a string', { ...base, gauge: undefined, log: 'hello' }, /^log is not an object \(got a string\)$/],
];

malformed(`rejects ${badInputs.length} kinds of bad input, each with its own reason and without throwing`, () => {
  const reasons = badInputs.map(([what, raw, expected]) => {
    let result: ParseResult | undefined;
    assert.not.throws(() => (result = parseEnvelope(raw)), `parsing ${what} threw`);
    if (result === undefined || result.ok) throw new Error(`${what} was accepted`);
    assert.match(result.reason, expected, `${what}: ${result.reason}`);
    return result.reason;
  });
  assert.is(new Set(reasons).size, reasons.length, 'every bad input has a distinct reason');
});

malformed('turns a throwing getter into a rejection', () => {
  const hostile = Object.defineProperty({ source_id: 'a', gauge: { metrics: {} } }, 'timestamp', {
    enumerable: true,
    get: () => {
      throw new Error('boom');
    },
  });
  const result = parseEnvelope(hostile);
  assert.equal(result, { ok: false, reason: 'envelope could not be read: boom' });
});

malformed.run();

// ---
const property = suite('parseEnvelope: arbitrary input');

property('never throws on arbitrary JSON values', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const result = parseEnvelope(value);
      return typeof result.ok === 'boolean' && (result.ok || result.reason.length > 0);
    }),
    { numRuns: 2000 },
  );
});

property('never throws on envelope-shaped objects with arbitrary field values', () => {
  const anyValue = fc.oneof(fc.jsonValue(), fc.bigInt(), fc.double(), fc.constant(undefined));
  const shaped = fc.record(
    {
      timestamp: anyValue,
      source_id: anyValue,
      sourceId: anyValue,
      instance_id: anyValue,
      tags: anyValue,
      gauge: fc.oneof(
        anyValue,
        fc.record({
          metrics: fc.oneof(
            anyValue,
            fc.dictionary(fc.string(), fc.oneof(anyValue, fc.record({ unit: anyValue, value: anyValue }))),
          ),
        }),
      ),
      timer: fc.oneof(anyValue, fc.record({ name: anyValue, start: anyValue, stop: anyValue })),
      counter: fc.oneof(anyValue, fc.record({ name: anyValue, delta: anyValue, total: anyValue })),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(shaped, (value) => typeof parseEnvelope(value).ok === 'boolean'),
    { numRuns: 3000 },
  );
});

property('accepts every well-formed gauge envelope and returns its values unchanged', () => {
  const metricName = fc.stringMatching(/^[a-z_]{1,12}$/);
  fc.assert(
    fc.property(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.string({ minLength: 1 }),
      fc.dictionary(metricName, fc.double({ noNaN: true })),
      (timestamp, sourceId, values) => {
        const metrics = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { unit: 'u', value: v }]));
        const result = parseEnvelope({ timestamp: timestamp.toString(), source_id: sourceId, gauge: { metrics } });
        return (
          result.ok &&
          result.envelope.timestamp === timestamp &&
          Object.entries(values).every(([k, v]) => Object.is(result.envelope.gauge?.[k]?.value, v))
        );
      },
    ),
    { numRuns: 500 },
  );
});

property.run();
