import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { zstdCompressSync } from 'node:zlib';
import { encodeEnvelopeLine } from '../../../lib/core/envelope/envelope-json.ts';
import {
  aggregatedCachePath,
  aggregationKey,
  contentHash,
  pruneCacheDir,
} from '../../../lib/replay/aggregated-cache.ts';
import { aggregateOffThread } from '../../../lib/replay/aggregate-off-thread.ts';
import type { OffThreadProgress } from '../../../lib/replay/aggregate-off-thread.ts';
import type { ReplayPolicies } from '../../../lib/replay/replay-policies.ts';
import { createTempFiles } from '../../support/temp-files.ts';

const files = createTempFiles('aggregated-cache-');

const policyText = (threshold: number, type = 'cpu') =>
  JSON.stringify({
    instance_min_count: 1,
    instance_max_count: 4,
    scaling_rules: [{ metric_type: type, threshold, operator: '>', adjustment: '+1' }],
  });
const policy = (threshold: number, type = 'cpu'): ReplayPolicies => ({
  kind: 'shared',
  text: policyText(threshold, type),
});
const settings = { statWindowSecs: 60, aggregatorIntervalMs: 10_000 };

const line = (i: number) =>
  encodeEnvelopeLine({
    timestamp: 1731578415000000000n + BigInt(i) * 1_000_000_000n,
    sourceId: `app-${i % 3}`,
    instanceId: String(i % 2),
    tags: { app_name: `web-${i % 3}` },
    gauge: { cpu: { unit: 'percentage', value: (i % 17) * 3 }, memory: { unit: 'bytes', value: i * 1e6 } },
  });
const recordingOf = (n: number, extra: string[] = []) =>
  zstdCompressSync(Buffer.from([...Array.from({ length: n }, (_v, i) => line(i)), ...extra].join('\n')));

const read = async (
  path: string,
  cacheDir: string | undefined,
  options: { policies?: ReplayPolicies; statWindowSecs?: number; extra?: string[] } = {},
) => {
  const progress: OffThreadProgress = {};
  const frames: string[] = [];
  for await (const frame of aggregateOffThread(path, {
    policies: options.policies ?? policy(50),
    settings: { ...settings, statWindowSecs: options.statWindowSecs ?? settings.statWindowSecs },
    extraMetricTypes: options.extra,
    maxIssues: 100,
    progress,
    cacheDir,
  }))
    frames.push(frame);
  return { frames, cache: progress.cache, note: progress.cacheNote };
};
const cacheDirOf = async () => join(dirname(await files.write('placeholder', '')), 'cache');

// ---
const cache = suite('the aggregated-recording cache');
cache.after(files.removeAll);

cache('a second replay reads the frames the first one aggregated, frame for frame', async () => {
  const dir = await cacheDirOf();
  const path = await files.write('a.ndjson.zst', recordingOf(600, ['{oops']));
  const off = await read(path, undefined);
  assert.is(off.cache, 'off');
  assert.ok(
    off.frames.some((f) => f.includes('"tick"')),
    'metrics were aggregated',
  );
  const first = await read(path, dir);
  assert.is(first.cache, 'written');
  assert.equal(first.frames, off.frames);
  const second = await read(path, dir);
  assert.is(second.cache, 'read');
  assert.equal(second.frames, off.frames);
});

cache('the key: the recording and every setting that shapes the aggregation, not the thresholds', async () => {
  const dir = await cacheDirOf();
  const path = await files.write('b.ndjson.zst', recordingOf(300));
  assert.is((await read(path, dir)).cache, 'written');
  assert.is((await read(path, dir, { policies: policy(80) })).cache, 'read', 'another threshold');
  assert.is((await read(path, dir, { statWindowSecs: 120 })).cache, 'written', 'another stat window');
  assert.is((await read(path, dir, { policies: policy(50, 'memoryutil') })).cache, 'written', 'another type');
  assert.is((await read(path, dir, { extra: ['memoryused'] })).cache, 'written', 'an extra type');
  await writeFile(path, recordingOf(299));
  assert.is((await read(path, dir)).cache, 'written', 'changed content');
  assert.is((await read(path, dir)).cache, 'read');
  const hash = await contentHash(path);
  const keys = [
    aggregationKey(hash, policy(50), settings, []),
    aggregationKey(hash, policy(50), { ...settings, aggregatorIntervalMs: 20_000 }, []),
    aggregationKey(hash, { kind: 'per-app', texts: new Map([['app-1', policyText(50)]]) }, settings, []),
  ];
  assert.is(new Set(keys.map((k) => aggregatedCachePath(dir, k))).size, 3);
  assert.is(aggregationKey(hash, policy(50), settings, []), aggregationKey(hash, policy(99), settings, []));
});

cache('a damaged or foreign cache file is not used, and is replaced', async () => {
  const dir = await cacheDirOf();
  const path = await files.write('c.ndjson.zst', recordingOf(300));
  const made = await read(path, dir);
  const file = aggregatedCachePath(dir, aggregationKey(await contentHash(path), policy(50), settings, []));
  const whole = await readFile(file, 'utf8');
  await writeFile(file, whole.slice(0, whole.length - 10));
  const cut = await read(path, dir);
  assert.is(cut.cache, 'written');
  assert.match(cut.note ?? '', /incomplete/);
  assert.equal(cut.frames, made.frames);
  await writeFile(file, 'something else entirely\n'.repeat(10));
  const foreign = await read(path, dir);
  assert.is(foreign.cache, 'written');
  assert.match(foreign.note ?? '', /another format/);
  assert.is((await read(path, dir)).cache, 'read');
});

cache('a cache directory that cannot be made only means no cache', async () => {
  const path = await files.write('d.ndjson.zst', recordingOf(50));
  const blocked = join(await files.write('not-a-dir', 'x'), 'cache');
  const result = await read(path, blocked);
  assert.equal(result.frames, (await read(path, undefined)).frames);
  assert.ok(result.cache === 'not written' || result.cache === 'off', String(result.cache));
});

// ---
const prune = suite('pruning the cache directory');
prune.after(files.removeAll);

const at = async (path: string, content: string, minutesAgo: number, now: number) => {
  await writeFile(path, content);
  const when = new Date(now - minutesAgo * 60_000);
  await utimes(path, when, when);
};

prune('keeps the most recently used caches within the count and size bounds, removes the rest', async () => {
  const dir = await cacheDirOf();
  await mkdir(dir);
  const now = Date.now();
  for (let i = 0; i < 6; i++) await at(join(dir, `c${i}.aggregated`), 'x'.repeat(100), i, now);
  await at(join(dir, 'notes.txt'), 'mine', 100, now);
  await mkdir(join(dir, 'sub.aggregated'));
  const removed = pruneCacheDir(dir, { maxEntries: 4, maxBytes: 1_000 }, now);
  assert.equal(removed.sort(), ['c4.aggregated', 'c5.aggregated']);
  assert.equal((await readdir(dir)).sort(), [
    'c0.aggregated',
    'c1.aggregated',
    'c2.aggregated',
    'c3.aggregated',
    'notes.txt',
    'sub.aggregated',
  ]);
  pruneCacheDir(dir, { maxEntries: 10, maxBytes: 250 }, now);
  assert.equal((await readdir(dir)).filter((n) => n.startsWith('c')).sort(), ['c0.aggregated', 'c1.aggregated']);
});

prune('always keeps the newest cache, even past the size bound', async () => {
  const dir = await cacheDirOf();
  await mkdir(dir);
  const now = Date.now();
  await at(join(dir, 'big.aggregated'), 'x'.repeat(500), 0, now);
  await at(join(dir, 'old.aggregated'), 'x', 5, now);
  pruneCacheDir(dir, { maxEntries: 5, maxBytes: 100 }, now);
  assert.equal(await readdir(dir), ['big.aggregated']);
});

prune('removes caches of the earlier format and temporary files left by killed replays, not fresh ones', async () => {
  const dir = await cacheDirOf();
  await mkdir(dir);
  const now = Date.now();
  await at(join(dir, 'abc.parsed'), 'old format', 1, now);
  await at(join(dir, 'x.aggregated.1.a.tmp'), 'killed', 120, now);
  await at(join(dir, 'y.aggregated.2.b.tmp'), 'being written', 1, now);
  pruneCacheDir(dir, undefined, now);
  assert.equal(await readdir(dir), ['y.aggregated.2.b.tmp']);
});

prune('a replay that writes a cache prunes the directory, and a read marks its cache as recently used', async () => {
  const dir = await cacheDirOf();
  const path = await files.write('e.ndjson.zst', recordingOf(100));
  await read(path, dir);
  const file = aggregatedCachePath(dir, aggregationKey(await contentHash(path), policy(50), settings, []));
  const old = new Date(Date.now() - 3_600_000);
  await utimes(file, old, old);
  await writeFile(join(dir, 'stale.parsed'), 'old format');
  assert.is((await read(path, dir)).cache, 'read');
  assert.ok((await stat(file)).mtimeMs > old.getTime() + 60_000, 'touched when read');
  await read(path, dir, { statWindowSecs: 30 });
  assert.not.ok((await readdir(dir)).includes('stale.parsed'), 'pruned after writing');
});

cache.run();
prune.run();
