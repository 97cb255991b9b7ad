import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { parseEnvelope } from '../../../../lib/core/envelope/parse-envelope.ts';
import { readRecording } from '../../../../lib/tools/recording/read-recording.ts';
import type { RecordingEntry } from '../../../../lib/tools/recording/parse-recording-line.ts';
import { readRecordingBlocks, readRecordingLines } from '../../../../lib/tools/recording/read-recording-lines.ts';
import { isRecordingError } from '../../../../lib/tools/recording/recording-error.ts';
import { formatIssues, validateRecording } from '../../../../lib/tools/recording/validate-recording.ts';
import { createTempFiles } from '../../../support/temp-files.ts';

const APP = '6e4b1f7a-3c2d-4b8e-9f10-2a7c5d9e8b41';
const gauge = (ts: string, value: number, instance = '0') =>
  JSON.stringify({
    timestamp: ts,
    source_id: APP,
    instance_id: instance,
    deprecated_tags: {},
    tags: {},
    gauge: { metrics: { cpu: { unit: 'percentage', value } } },
  });

const lines = [
  gauge('1731578415123456000', 2.5),
  '',
  '{"timestamp":"17315784', // truncated
  '[1,2,3]',
  '{"envelopes":{"batch":[]}}',
  JSON.stringify({ source_id: APP, gauge: { metrics: {} } }),
  `{"timestamp":1731578416123456789,"source_id":"${APP}","instance_id":"1","gauge":{"metrics":{"memory":{"unit":"bytes","value":10}}}}`,
  gauge('1731578410000000000', 1),
];

const collect = async (path: string): Promise<RecordingEntry[]> => {
  const out: RecordingEntry[] = [];
  for await (const entry of readRecording(path, { parseEnvelope })) out.push(entry);
  return out;
};

const files = createTempFiles('recording-');
const temp = files.write;

// ---
const read = suite('readRecording');
read.after(() => files.removeAll());

const expectEntries = (entries: RecordingEntry[]) => {
  assert.equal(
    entries.map((e) => [e.line, e.ok]),
    [
      [1, true],
      [3, false],
      [4, false],
      [5, false],
      [6, false],
      [7, true],
      [8, true],
    ],
  );
  const reasons = entries.filter((e) => !e.ok).map((e) => (e.ok ? '' : e.reason));
  assert.match(reasons[0]!, /^not valid JSON \(.+\): \{"timestamp":"17315784$/);
  assert.is(reasons[1], 'expected one envelope object per line, got an array');
  assert.match(reasons[2]!, /a whole read response/);
  assert.is(reasons[3], 'timestamp is missing');
  const exact = entries[5]!;
  assert.ok(exact.ok);
  if (exact.ok) {
    assert.is(exact.envelope.timestamp, 1731578416123456789n, 'a bare 19-digit timestamp keeps every digit');
    assert.is(exact.envelope.instanceId, '1');
  }
};

read('reads a plain file with a line number and reason for each bad line', async () => {
  expectEntries(await collect(await temp('r.ndjson', `${lines.join('\n')}\n`)));
});

read('reads a gzip file whatever its name, with CRLF endings and no final newline', async () => {
  expectEntries(await collect(await temp('r.ndjson', gzipSync(lines.join('\r\n')))));
});

read('reads a zstd file whatever its name', async () => {
  expectEntries(await collect(await temp('r.ndjson', zstdCompressSync(`${lines.join('\n')}\n`))));
});

read('keeps characters that straddle a read chunk and lines longer than a chunk', async () => {
  // The plain reader takes 1 MiB at a time: put a two-byte character across that boundary,
  // and make the next line span several chunks.
  const first = gauge('1731578415123456000', 2.5);
  const name = (length: number) =>
    JSON.stringify({
      timestamp: '1731578416000000000',
      source_id: APP,
      instance_id: '0',
      tags: { app_name: 'é'.padStart(length, 'x') },
      gauge: { metrics: { cpu: { unit: 'percentage', value: 1 } } },
    });
  const head = `${first}\n`;
  const filler = name(1); // sized below so that its 'é' starts one byte before the 1 MiB mark
  const before = Buffer.byteLength(head) + Buffer.byteLength(filler.slice(0, filler.indexOf('é')));
  const straddling = name(1024 * 1024 - before);
  const long = name(3 * 1024 * 1024);
  const text = `${head}${straddling}\n${long}\n`;
  assert.is(Buffer.from(text).indexOf('é'), 1024 * 1024 - 1, 'the character sits across the boundary');
  const entries = await collect(await temp('wide.ndjson', text));
  assert.equal(
    entries.map((e) => [e.line, e.ok]),
    [
      [1, true],
      [2, true],
      [3, true],
    ],
  );
  const names = entries.map((e) => (e.ok ? e.envelope.tags['app_name'] : undefined));
  assert.is(names[1], JSON.parse(straddling).tags.app_name);
  assert.is(names[2]!.length, 3 * 1024 * 1024);
  assert.ok(names[2]!.endsWith('é'));
});

read('keeps bare 19-digit timer bounds exact too', async () => {
  const line = `{"timestamp":"1731578421440635000","source_id":"${APP}","timer":{"name":"http","start":1731578421402401977,"stop":1731578421440598133}}`;
  const [entry] = await collect(await temp('t.ndjson', line));
  assert.ok(entry?.ok);
  if (entry?.ok)
    assert.equal(entry.envelope.timer, { name: 'http', start: 1731578421402401977n, stop: 1731578421440598133n });
});

read('fails with a RecordingError for a missing file', async () => {
  try {
    await collect('/nonexistent/recording.ndjson');
    assert.unreachable('should have failed');
  } catch (err) {
    assert.ok(isRecordingError(err), String(err));
    assert.match((err as Error).message, /cannot open recording \/nonexistent\/recording\.ndjson: ENOENT/);
  }
});

for (const [compression, compress, name] of [
  ['gzip', gzipSync, 'bad.ndjson.gz'],
  ['zstd', zstdCompressSync, 'bad.ndjson.zst'],
] as const) {
  read(`names the line reached when ${compression} data is corrupt`, async () => {
    const good = compress(Buffer.from(`${gauge('1731578415123456000', 2.5)}\n`.repeat(200)));
    const broken = Buffer.concat([good.subarray(0, good.length - 12), Buffer.from('garbage!garbage!')]);
    try {
      await collect(await temp(name, broken));
      assert.unreachable('should have failed');
    } catch (err) {
      assert.ok(isRecordingError(err), String(err));
      assert.match((err as Error).message, new RegExp(`corrupt ${compression} data after line \\d+`));
    }
  });
}

read(`blocks: whole lines, each block ending in a newline but the file's last, the file's bytes in order`, async () => {
  const text = Array.from({ length: 30_000 }, (_, i) =>
    gauge(String(1731578415000000000n + BigInt(i) * 1000n), i % 100),
  ).join('\r\n');
  const path = await temp('blocks.ndjson.zst', zstdCompressSync(Buffer.from(text)));
  const blocks: Buffer[] = [];
  for await (const block of readRecordingBlocks(path, undefined, { line: 0 })) blocks.push(block);
  assert.ok(blocks.length > 2, 'more than one block');
  for (const b of blocks.slice(0, -1)) assert.is(b[b.length - 1], 0x0a);
  assert.is(Buffer.concat(blocks).toString(), text);
});

for (const [compression, compress, name] of [
  ['gzip', gzipSync, 'bad-blocks.ndjson.gz'],
  ['zstd', zstdCompressSync, 'bad-blocks.ndjson.zst'],
] as const) {
  read(`blocks: a corrupt ${compression} stream names the line its reader reached`, async () => {
    const good = compress(Buffer.from(`${gauge('1731578415123456000', 2.5)}\n`.repeat(200)));
    const broken = Buffer.concat([good.subarray(0, good.length - 12), Buffer.from('garbage!garbage!')]);
    const position = { line: 0 };
    try {
      for await (const block of readRecordingBlocks(await temp(name, broken), undefined, position))
        for (const byte of block) if (byte === 0x0a) position.line += 1;
      assert.unreachable('should have failed');
    } catch (err) {
      assert.ok(isRecordingError(err), String(err));
      assert.match((err as Error).message, new RegExp(`corrupt ${compression} data after line ${position.line}$`));
      assert.is((err as { line?: number }).line, position.line);
    }
  });
}

read('streams long files in chunks without losing lines', async () => {
  const many = Array.from({ length: 20_000 }, (_, i) =>
    gauge(String(1731578415000000000n + BigInt(i) * 1000n), i % 100),
  );
  const path = await temp('many.ndjson.gz', gzipSync(many.join('\n')));
  const progress = { bytesRead: 0, totalBytes: 0 };
  let count = 0;
  let lastLine = 0;
  let batches = 0;
  for await (const { firstLine, texts } of readRecordingLines(path, progress)) {
    assert.is(firstLine, lastLine + 1, 'batches follow each other without a gap');
    count += texts.length;
    lastLine = firstLine + texts.length - 1;
    batches += 1;
  }
  assert.ok(batches > 1, 'more than one batch');
  assert.is(count, 20_000);
  assert.is(lastLine, 20_000);
  assert.ok(progress.bytesRead > 0);
});

// ---
const validate = suite('validateRecording');
validate.after(() => files.removeAll());

validate('summarises sources, time range, late envelopes and issues', async () => {
  const summary = await validateRecording(await temp('r.ndjson', lines.join('\n')), { parseEnvelope });
  assert.is(summary.envelopes, 3);
  assert.equal([...summary.sources], [[APP, 3]]);
  assert.is(summary.firstTimestamp, 1731578410000000000n);
  assert.is(summary.lastTimestamp, 1731578416123456789n);
  assert.is(summary.outOfOrder, 1);
  assert.is(summary.firstOutOfOrderLine, 8);
  assert.is(summary.issueCount, 4);
  assert.equal(
    formatIssues(summary.issues).map((l) => l.slice(0, 8)),
    ['line 3: ', 'line 4: ', 'line 5: ', 'line 6: '],
  );
});

validate('caps the listed issues but counts them all', async () => {
  const summary = await validateRecording(await temp('r.ndjson', 'x\n'.repeat(50)), { parseEnvelope, maxIssues: 5 });
  assert.is(summary.issues.length, 5);
  assert.is(summary.issueCount, 50);
  assert.is(summary.envelopes, 0);
  assert.is(summary.firstTimestamp, undefined);
});

read.run();
validate.run();
