import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { encodeEnvelope, encodeEnvelopeLine, encodeReadResponse } from '../../../../lib/core/envelope/envelope-json.ts';
import { parseEnvelope } from '../../../../lib/core/envelope/parse-envelope.ts';
import { parseReadResponse } from '../../../../lib/core/envelope/parse-read-response.ts';
import { parse } from '../../../../lib/core/json/bigint-json.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';
import { FIXTURE_DIR } from './fixtures/load-fixture.ts';

const FIXTURES = FIXTURE_DIR;
const batch = (file: string): Array<Record<string, unknown>> =>
  (JSON.parse(readFileSync(`${FIXTURES}/${file}`, 'utf8')) as { envelopes: { batch: Array<Record<string, unknown>> } })
    .envelopes.batch;

const parsed = (raw: unknown): Envelope => {
  const result = parseEnvelope(raw);
  if (!result.ok) throw new Error(result.reason);
  return result.envelope;
};

// ---
const encode = suite('encodeEnvelope');

encode('writes gauges, timers and counters exactly as the fixtures hold them, keys in wire order', () => {
  const raws = [
    ...batch('read-container-gauges.json'),
    ...batch('read-container-gauges-combined.json'),
    ...batch('read-http-timers.json'),
    ...batch('read-custom-metrics.json'),
    ...batch('read-logs-counters-events.json').filter((e) => 'counter' in e),
  ];
  assert.ok(raws.length >= 35, `${raws.length} fixture envelopes`);
  for (const raw of raws) {
    const encoded = encodeEnvelope(parsed(raw));
    assert.equal(encoded, raw);
    assert.equal(Object.keys(encoded), Object.keys(raw));
  }
});

encode('keeps int64 text exact and writes non-finite doubles as strings', () => {
  const e: Envelope = {
    timestamp: 1731578400123456789n,
    sourceId: 's',
    instanceId: '',
    tags: { b: '2', a: '1' },
    gauge: { x: { unit: '', value: NaN }, y: { unit: '', value: -Infinity } },
  };
  const text = JSON.stringify(encodeEnvelope(e));
  assert.is(
    text,
    '{"timestamp":"1731578400123456789","source_id":"s","instance_id":"","deprecated_tags":{},"tags":{"a":"1","b":"2"},"gauge":{"metrics":{"x":{"unit":"","value":"NaN"},"y":{"unit":"","value":"-Infinity"}}}}',
  );
  const back = parsed(parse(text));
  assert.is(back.timestamp, 1731578400123456789n);
  assert.ok(Number.isNaN(back.gauge?.['x']?.value));
});

encode('round-trips a read response through parseReadResponse', () => {
  const envelopes = batch('read-http-timers.json').map(parsed);
  assert.equal(parseReadResponse(parse(encodeReadResponse(envelopes))), { envelopes, rejected: [] });
  assert.is(encodeReadResponse([]), '{"envelopes":{"batch":[]}}');
});

encode('writes an envelope without gauge, timer or counter as an empty log, one line per envelope', () => {
  const bare: Envelope = { timestamp: 5n, sourceId: 'app', instanceId: '0', tags: { z: '1', a: '2' } };
  const line = encodeEnvelopeLine(bare);
  assert.is(
    line,
    '{"timestamp":"5","source_id":"app","instance_id":"0","deprecated_tags":{},"tags":{"a":"2","z":"1"},"log":{"payload":"","type":"OUT"}}',
  );
  assert.not.match(line, /\n/);
  assert.equal(parsed(parse(line)), bare);
});

encode.run();
