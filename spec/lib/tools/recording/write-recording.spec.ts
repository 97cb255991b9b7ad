import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { parseEnvelope } from '../../../../lib/core/envelope/parse-envelope.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';
import { encodeEnvelopeLine } from '../../../../lib/core/envelope/envelope-json.ts';
import { recordingCompression } from '../../../../lib/tools/recording/read-recording-lines.ts';
import { createRecordingWriter } from '../../../../lib/tools/recording/write-recording.ts';

const envelopes: Envelope[] = [
  {
    timestamp: 1731578415123456789n,
    sourceId: 'app',
    instanceId: '0',
    tags: { origin: 'rep' },
    gauge: { cpu: { unit: 'percentage', value: 2.5 }, memory: { unit: 'bytes', value: 318767104 } },
  },
  {
    timestamp: 1731578421440635000n,
    sourceId: 'app',
    instanceId: '1',
    tags: { peer_type: 'Client' },
    timer: { name: 'http', start: 1731578421402401977n, stop: 1731578421440598133n },
  },
  {
    timestamp: 1731578430123455000n,
    sourceId: 'app',
    instanceId: '',
    tags: {},
    counter: { name: 'rx_bytes', delta: 0n, total: 18734221n },
  },
  {
    timestamp: 1n,
    sourceId: 'app',
    instanceId: '0',
    tags: {},
    gauge: { odd: { unit: '', value: Number.NaN }, big: { unit: '', value: Number.POSITIVE_INFINITY } },
  },
];

// ---
const json = suite('encodeEnvelopeLine');

json('writes the log-cache form that parseEnvelope reads back unchanged', () => {
  for (const envelope of envelopes) {
    const line = encodeEnvelopeLine(envelope);
    const parsed = parseEnvelope(JSON.parse(line));
    assert.ok(parsed.ok, line);
    if (parsed.ok) assert.equal(parsed.envelope, envelope);
  }
});

json('uses snake_case keys, string int64s and the always-present fields', () => {
  const wire = JSON.parse(encodeEnvelopeLine(envelopes[1]!));
  assert.equal(Object.keys(wire), ['timestamp', 'source_id', 'instance_id', 'deprecated_tags', 'tags', 'timer']);
  assert.is(wire.timestamp, '1731578421440635000');
  assert.equal(wire.timer, { name: 'http', start: '1731578421402401977', stop: '1731578421440598133' });
  assert.equal(JSON.parse(encodeEnvelopeLine(envelopes[3]!)).gauge.metrics, {
    odd: { unit: '', value: 'NaN' },
    big: { unit: '', value: 'Infinity' },
  });
});

// ---
const writer = suite('createRecordingWriter');
const dirs: string[] = [];
writer.after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'writer-'));
  dirs.push(d);
  return d;
};

writer('writes gzip for a .gz name, zstd for .zst and plain text otherwise', async () => {
  const dir = await tempDir();
  for (const name of ['a.ndjson.gz', 'z.ndjson.zst', 'nested/b.ndjson']) {
    const w = await createRecordingWriter(join(dir, name));
    await w.write('{"x":1}');
    await w.write('{"x":2}');
    await w.close();
    assert.is(w.lines(), 2);
    const bytes = await readFile(join(dir, name));
    const text = name.endsWith('.gz')
      ? gunzipSync(bytes).toString()
      : name.endsWith('.zst')
        ? zstdDecompressSync(bytes).toString()
        : bytes.toString();
    assert.is(text, '{"x":1}\n{"x":2}\n');
  }
});

writer('compresses as asked whatever the name, and the reader finds the format by its content', async () => {
  const dir = await tempDir();
  const path = join(dir, 'recording.ndjson');
  const w = await createRecordingWriter(path, { compression: 'zstd', level: 1 });
  await w.write('{"x":1}');
  await w.close();
  assert.is(await recordingCompression(path), 'zstd');
  assert.is(zstdDecompressSync(await readFile(path)).toString(), '{"x":1}\n');
});

writer('leaves nothing behind when aborted', async () => {
  const dir = await tempDir();
  const w = await createRecordingWriter(join(dir, 'c.ndjson.gz'));
  await w.write('{"x":1}');
  await w.abort();
  assert.equal(await readdir(dir), []);
});

json.run();
writer.run();
