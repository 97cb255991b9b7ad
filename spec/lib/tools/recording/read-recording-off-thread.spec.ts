import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { parseEnvelope } from '../../../../lib/core/envelope/parse-envelope.ts';
import type { RecordingEntry } from '../../../../lib/tools/recording/parse-recording-line.ts';
import { readRecording } from '../../../../lib/tools/recording/read-recording.ts';
import { readRecordingOffThread } from '../../../../lib/tools/recording/read-recording-off-thread.ts';
import { isRecordingError } from '../../../../lib/tools/recording/recording-error.ts';
import { createTempFiles } from '../../../support/temp-files.ts';

const APP = '6e4b1f7a-3c2d-4b8e-9f10-2a7c5d9e8b41';
const tags = (instance: string) => ({ app_id: APP, instance_id: instance, origin: 'rep', process_type: 'web' });
const gauge = (ts: string, value: number, instance = '0') =>
  JSON.stringify({
    timestamp: ts,
    source_id: APP,
    instance_id: instance,
    deprecated_tags: {},
    tags: tags(instance),
    gauge: { metrics: { cpu: { unit: 'percentage', value }, memory: { unit: 'bytes', value: 1e8 } } },
  });

const lines = [
  gauge('1731578415123456000', 2.5),
  '',
  '{"timestamp":"17315784',
  '[1,2,3]',
  '{"envelopes":{"batch":[]}}',
  JSON.stringify({ source_id: APP, gauge: { metrics: {} } }),
  `{"timestamp":1731578416123456789,"source_id":"${APP}","instance_id":"1","gauge":{"metrics":{"memory":{"unit":"bytes","value":10}}}}`,
  gauge('1731578416123456790', 3.5, '1'),
  gauge('1731578416123456791', 4.5),
  `{"timestamp":"1731578421440635000","source_id":"${APP}","timer":{"name":"http","start":1731578421402401977,"stop":1731578421440598133}}`,
  `{"timestamp":"1731578421440635001","source_id":"${APP}","counter":{"name":"req","delta":"3","total":"18446744073709551615"}}`,
  `{"timestamp":"1731578421440635002","source_id":"${APP}","log":{"payload":"aGk=","type":"OUT"}}`,
  `{"timestamp":"1731578421440635003","sourceId":"${APP}","instanceId":"2","tags":{"a":"b"},"gauge":{"metrics":{"cpu":{"value":"NaN"}}}}`,
];

const files = createTempFiles('recording-off-thread-');
const temp = files.write;

const inThread = async (path: string): Promise<RecordingEntry[]> => {
  const out: RecordingEntry[] = [];
  for await (const entry of readRecording(path, { parseEnvelope })) out.push(entry);
  return out;
};
const offThread = async (path: string, batchSize?: number): Promise<RecordingEntry[]> => {
  const out: RecordingEntry[] = [];
  for await (const batch of readRecordingOffThread(path, batchSize === undefined ? {} : { batchSize }))
    for (const entry of batch) out.push(entry);
  return out;
};
const failureOf = async (read: () => Promise<unknown>): Promise<Error> => {
  try {
    await read();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the read to fail');
};

// ---
const offThreadSuite = suite('readRecordingOffThread');
offThreadSuite.after(() => files.removeAll());

for (const [name, content] of [
  ['plain', `${lines.join('\n')}\n`],
  ['gzip with CRLF and no final newline', gzipSync(lines.join('\r\n'))],
  ['zstd', zstdCompressSync(`${lines.join('\n')}\n`)],
] as const) {
  offThreadSuite(`gives the entries readRecording gives: ${name}`, async () => {
    const path = await temp('r.ndjson', content);
    const expected = await inThread(path);
    assert.is(expected.length, lines.length - 1, 'every non-blank line is an entry');
    assert.equal(await offThread(path), expected);
    assert.equal(await offThread(path, 2), expected, 'and in batches of two');
  });
}

offThreadSuite('gives the same entries on thousands of lines, with progress', async () => {
  const many = Array.from({ length: 12_000 }, (_, i) =>
    i % 997 === 5 ? `{"broken":${i}` : gauge(String(1731578415000000000n + BigInt(i) * 1000n), i % 100, String(i % 3)),
  );
  const path = await temp('many.ndjson.zst', zstdCompressSync(many.join('\n')));
  const progress = { fraction: 0 };
  const out: RecordingEntry[] = [];
  for await (const batch of readRecordingOffThread(path, { progress })) for (const entry of batch) out.push(entry);
  assert.equal(out, await inThread(path));
  assert.is(out.filter((e) => !e.ok).length, 13);
  assert.is(progress.fraction, 1);
});

offThreadSuite('fails as readRecording does for a missing file and for corrupt data', async () => {
  const missing = await failureOf(() => offThread('/nonexistent/recording.ndjson'));
  assert.ok(isRecordingError(missing), String(missing));
  assert.is(missing.message, (await failureOf(() => inThread('/nonexistent/recording.ndjson'))).message);

  const good = zstdCompressSync(Buffer.from(`${gauge('1731578415123456000', 2.5)}\n`.repeat(500)));
  const path = await temp(
    'bad.ndjson.zst',
    Buffer.concat([good.subarray(0, good.length - 12), Buffer.from('garbage!garbage!')]),
  );
  const corrupt = await failureOf(() => offThread(path));
  assert.ok(isRecordingError(corrupt), String(corrupt));
  assert.match(corrupt.message, /corrupt zstd data after line \d+/);
  assert.is(corrupt.message, (await failureOf(() => inThread(path))).message);
});

offThreadSuite('stops its thread when the reader stops early', async () => {
  const many = Array.from({ length: 50_000 }, (_, i) => gauge(String(1731578415000000000n + BigInt(i)), 1));
  const path = await temp('long.ndjson', many.join('\n'));
  let taken = 0;
  for await (const batch of readRecordingOffThread(path, { batchSize: 100, ahead: 2 })) {
    for (const entry of batch) if (entry.ok) taken += 1;
    if (taken >= 300) break;
  }
  assert.is(taken, 300);
  // The loop returned, so the generator's cleanup (terminating the thread) has completed.
});

offThreadSuite.run();
