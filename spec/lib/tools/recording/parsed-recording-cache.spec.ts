import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { zstdCompressSync } from 'node:zlib';
import { parseEnvelope } from '../../../../lib/core/envelope/parse-envelope.ts';
import { encodeEnvelopeLine } from '../../../../lib/core/envelope/envelope-json.ts';
import type { RecordingEntry } from '../../../../lib/tools/recording/parse-recording-line.ts';
import { cachePath, contentHash } from '../../../../lib/tools/recording/parsed-recording-cache.ts';
import { readRecording } from '../../../../lib/tools/recording/read-recording.ts';
import { readRecordingOffThread } from '../../../../lib/tools/recording/read-recording-off-thread.ts';
import type { OffThreadProgress } from '../../../../lib/tools/recording/read-recording-off-thread.ts';
import { createTempFiles } from '../../../support/temp-files.ts';

const files = createTempFiles('parsed-recording-cache-');

const line = (i: number, instance = String(i % 2)) =>
  encodeEnvelopeLine({
    timestamp: 1731578415000000000n + BigInt(i) * 1_000_000_000n,
    sourceId: 'app-1',
    instanceId: instance,
    tags: { app_name: 'web', index: instance, név: 'ü' },
    ...(i % 7 === 3
      ? { timer: { name: 'http', start: 1n, stop: BigInt(i) } }
      : { gauge: { cpu: { unit: 'percentage', value: i / 3 }, memory: { unit: 'bytes', value: i * 1e6 } } }),
  });
const recordingOf = (n: number, extra: string[] = []) =>
  zstdCompressSync(Buffer.from([...Array.from({ length: n }, (_v, i) => line(i)), ...extra].join('\n')));

const inThread = async (path: string): Promise<RecordingEntry[]> => {
  const out: RecordingEntry[] = [];
  for await (const entry of readRecording(path, { parseEnvelope })) out.push(entry);
  return out;
};
const read = async (path: string, cacheDir: string | undefined) => {
  const progress: OffThreadProgress = { fraction: 0 };
  const entries: RecordingEntry[] = [];
  for await (const batch of readRecordingOffThread(path, { progress, cacheDir, batchSize: 100 }))
    for (const entry of batch) entries.push(entry);
  return { entries, cache: progress.cache, note: progress.cacheNote };
};

// ---
const cache = suite('the parsed-recording cache');
cache.after(files.removeAll);

cache('a second read comes from the cache, entry for entry the same as parsing', async () => {
  const dir = join(dirname(await files.write('placeholder', '')), 'cache');
  const path = await files.write('a.ndjson.zst', recordingOf(2_000, ['{oops', '', '{"timestamp":"1"}']));
  const parsed = await inThread(path);
  const first = await read(path, dir);
  assert.is(first.cache, 'written');
  assert.equal(first.entries, parsed);
  assert.equal(await readdir(dir), [`${await contentHash(path)}.parsed`]);
  const second = await read(path, dir);
  assert.is(second.cache, 'read');
  assert.equal(second.entries, parsed);
  const off = await read(path, undefined);
  assert.is(off.cache, 'off');
  assert.equal(off.entries, parsed);
});

cache('a changed recording is parsed again: the cache is keyed by its bytes', async () => {
  const dir = join(dirname(await files.write('placeholder', '')), 'cache');
  const path = await files.write('b.ndjson.zst', recordingOf(500));
  assert.is((await read(path, dir)).cache, 'written');
  await writeFile(path, recordingOf(400, [line(9_999, '7')]));
  const changed = await read(path, dir);
  assert.is(changed.cache, 'written', 'not read from the cache of the old content');
  assert.equal(changed.entries, await inThread(path));
  assert.is(changed.entries.length, 401);
  assert.is((await read(path, dir)).cache, 'read');
});

cache('a damaged or foreign cache file is not used, and is replaced', async () => {
  const dir = join(dirname(await files.write('placeholder', '')), 'cache');
  const path = await files.write('c.ndjson.zst', recordingOf(300));
  await read(path, dir);
  const file = cachePath(dir, await contentHash(path));
  const whole = await readFile(file);
  await writeFile(file, whole.subarray(0, whole.length - 40));
  const cut = await read(path, dir);
  assert.is(cut.cache, 'written');
  assert.match(cut.note ?? '', /incomplete/);
  assert.equal(cut.entries, await inThread(path));
  await writeFile(file, Buffer.from('something else entirely\n'.repeat(10)));
  const foreign = await read(path, dir);
  assert.is(foreign.cache, 'written');
  assert.match(foreign.note ?? '', /another format/);
  assert.is((await read(path, dir)).cache, 'read');
});

cache('a cache directory that cannot be made only means no cache', async () => {
  const path = await files.write('d.ndjson.zst', recordingOf(50));
  const blocked = join(await files.write('not-a-dir', 'x'), 'cache');
  const result = await read(path, blocked);
  assert.equal(result.entries, await inThread(path));
  assert.ok(result.cache === 'not written' || result.cache === 'off', String(result.cache));
});

cache.run();
