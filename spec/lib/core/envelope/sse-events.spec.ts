import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSseParser } from '../../../../lib/core/envelope/sse-events.ts';
import { parseStreamBatch } from '../../../../lib/core/envelope/parse-stream-batch.ts';
import { FIXTURE_APP_ID, FIXTURE_DIR } from './fixtures/load-fixture.ts';

const sample = readFileSync(join(FIXTURE_DIR, 'rlp-stream-sample.sse'), 'utf8');

const sse = suite('createSseParser');

sse('reads the gateway sample: two data events, a heartbeat and closing', () => {
  const parser = createSseParser();
  const { events, oversized } = parser.push(sample);
  assert.equal(
    events.map((e) => e.event),
    ['message', 'message', 'heartbeat', 'closing'],
  );
  assert.is(events[2]?.data, '1731578437');
  assert.is(events[3]?.data, 'closing due to stream timeout');
  assert.equal(oversized, []);
  assert.is(parser.end().partial, false);
});

sse('gives the same events whatever the chunking, CRLF split across chunks included', () => {
  const whole = createSseParser().push(sample).events;
  for (const size of [1, 2, 7, 100]) {
    const parser = createSseParser();
    const events = [];
    for (let i = 0; i < sample.length; i += size) events.push(...parser.push(sample.slice(i, i + size)).events);
    assert.equal(events, whole, `chunks of ${size}`);
  }
  const crlf = sample.replaceAll('\n', '\r\n');
  const parser = createSseParser();
  const events = [];
  for (let i = 0; i < crlf.length; i += 3) events.push(...parser.push(crlf.slice(i, i + 3)).events);
  assert.equal(events, whole);
});

sse('joins data lines, ignores comments, id and retry, and drops one space after the colon', () => {
  const { events } = createSseParser().push(': comment\nid: 7\nretry: 10\ndata:a\ndata:  b\nevent: x\n\n');
  assert.equal(events, [{ event: 'x', data: 'a\n b' }]);
});

sse('does not dispatch an event cut off by the end of the stream', () => {
  const parser = createSseParser();
  assert.equal(parser.push('data: {"batch":[]}\n').events, []);
  assert.is(parser.end().partial, true);
});

sse('skips an event past the size bound and reads the next one', () => {
  const parser = createSseParser({ maxEventChars: 20 });
  const first = parser.push(`data: ${'x'.repeat(50)}`);
  const rest = parser.push(`${'y'.repeat(50)}\n\ndata: ok\n\n`);
  assert.equal(first.events, []);
  assert.equal(rest.events, [{ event: 'message', data: 'ok' }]);
  assert.equal([...first.oversized, ...rest.oversized], ['event larger than 20 characters skipped']);
});

const batch = suite('parseStreamBatch');

batch('reads the unsplit gauges and the timer of the sample with exact nanoseconds', () => {
  const [gauges, timer] = createSseParser()
    .push(sample)
    .events.map((e) => parseStreamBatch(e.data));
  if (typeof gauges !== 'object' || typeof timer !== 'object') throw new Error('not read');
  assert.is(gauges.envelopes.length, 2);
  assert.is(gauges.envelopes[0]?.sourceId, FIXTURE_APP_ID);
  assert.is(gauges.envelopes[0]?.timestamp, 1731578415123456789n);
  assert.equal(Object.keys(gauges.envelopes[0]?.gauge ?? {}), ['cpu', 'disk', 'disk_quota', 'memory', 'memory_quota']);
  assert.is(timer.envelopes[0]?.timer?.start, 1731578421402401977n);
  assert.equal(timer.rejected, []);
});

batch('keeps the readable envelopes of a batch and names the others by position', () => {
  const result = parseStreamBatch(
    '{"batch":[{"timestamp":"1","source_id":"a","gauge":{"metrics":{"cpu":{"unit":"percentage","value":1}}}},{"source_id":"a"}]}',
  );
  if (typeof result === 'string') throw new Error(result);
  assert.is(result.envelopes.length, 1);
  assert.is(result.rejected.length, 1);
  assert.is(result.rejected[0]?.index, 1);
});

batch('says why data that is no batch cannot be read', () => {
  assert.match(String(parseStreamBatch('{"batch":[')), /stream data is not JSON/);
  assert.match(String(parseStreamBatch('[1]')), /not a JSON object/);
  assert.match(String(parseStreamBatch('{"batch":{}}')), /no "batch" array/);
  assert.equal(parseStreamBatch('{}'), { envelopes: [], rejected: [] });
});

sse.run();
batch.run();
