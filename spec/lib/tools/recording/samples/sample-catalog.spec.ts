import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseEnvelope } from '../../../../../lib/core/envelope/parse-envelope.ts';
import type { Envelope } from '../../../../../lib/core/model/envelope.ts';
import { parsePolicy } from '../../../../../lib/core/policy/parse-policy.ts';
import { encodeEnvelopeLine } from '../../../../../lib/core/envelope/envelope-json.ts';
import { generateSample } from '../../../../../lib/tools/recording/samples/generate-sample.ts';
import { createPrng, profile } from '../../../../../lib/tools/recording/samples/prng.ts';
import { buildSample, sampleCatalog } from '../../../../../lib/tools/recording/samples/sample-catalog.ts';

const bundled = join(import.meta.dirname, '..', '..', '..', '..', '..', 'recordings');
const digest = (envelopes: readonly Envelope[]) =>
  createHash('sha256').update(envelopes.map(encodeEnvelopeLine).join('\n')).digest('hex');
const built = new Map(sampleCatalog.map((s) => [s.name, buildSample(s)]));
const sample = (name: string) => built.get(name)!;

// ---
const prng = suite('createPrng');

prng('repeats the same sequence for the same seed and differs for another', () => {
  const a = createPrng(42);
  const b = createPrng(42);
  const c = createPrng(43);
  const seqA = Array.from({ length: 5 }, () => a.next());
  assert.equal(
    seqA,
    Array.from({ length: 5 }, () => b.next()),
  );
  assert.not.equal(
    seqA,
    Array.from({ length: 5 }, () => c.next()),
  );
  assert.ok(seqA.every((x) => x >= 0 && x < 1));
  assert.match(createPrng(1).guid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

prng('interpolates a load profile and holds its ends', () => {
  const p = profile([
    [0, 10],
    [60, 70],
    [120, 70],
  ]);
  assert.equal([p(-5), p(0), p(30), p(60), p(90), p(500)], [10, 10, 40, 70, 70, 70]);
});

// ---
const catalog = suite('sampleCatalog');

catalog('builds every sample identically twice', () => {
  for (const definition of sampleCatalog)
    assert.is(digest(buildSample(definition)), digest(sample(definition.name)), definition.name);
});

catalog('matches the bundled recordings and policies (regenerate with scripts/generate-samples.ts)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samples-'));
  try {
    for (const definition of sampleCatalog) {
      const fresh = await generateSample(definition, dir);
      const shipped = join(bundled, definition.name, 'recording.ndjson.gz');
      assert.is(
        gunzipSync(await readFile(shipped)).toString(),
        gunzipSync(await readFile(fresh.recording)).toString(),
        `${definition.name} recording`,
      );
      assert.is(
        await readFile(join(bundled, definition.name, 'policy.json'), 'utf8'),
        await readFile(fresh.policy, 'utf8'),
        `${definition.name} policy`,
      );
      assert.ok((await stat(shipped)).size < 400 * 1024, `${definition.name} is small enough to ship`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

catalog('writes envelopes in time order that parseEnvelope accepts, and policies parsePolicy accepts', () => {
  for (const definition of sampleCatalog) {
    const envelopes = sample(definition.name);
    for (let i = 0; i < envelopes.length; i += 1) {
      const parsed = parseEnvelope(JSON.parse(encodeEnvelopeLine(envelopes[i]!)));
      assert.ok(parsed.ok, `${definition.name} envelope ${i}`);
      if (i > 0) assert.ok(envelopes[i - 1]!.timestamp <= envelopes[i]!.timestamp, `${definition.name} order at ${i}`);
    }
    const policy = parsePolicy('app', JSON.stringify(definition.policy));
    assert.ok(policy.ok && policy.policy.instanceMaxCount > policy.policy.instanceMinCount, definition.name);
  }
});

const instances = (envelopes: readonly Envelope[]) => new Set(envelopes.map((e) => e.instanceId)).size;
const gaugeSizes = (envelopes: readonly Envelope[]) =>
  new Set(envelopes.filter((e) => e.gauge).map((e) => Object.keys(e.gauge!).length));

catalog('covers both container-metric shapes with 2 to 4 instances', () => {
  assert.equal([...gaugeSizes(sample('spike'))], [1], 'split: one metric per envelope');
  assert.equal([...gaugeSizes(sample('flapping'))], [1]);
  assert.equal([...gaugeSizes(sample('slow-ramp'))].sort(), [4, 5], 'combined: the rep groups A and B');
  for (const name of ['spike', 'slow-ramp', 'flapping', 'quiet', 'custom-metrics', 'http-throughput']) {
    const n = instances(sample(name));
    assert.ok(n >= 2 && n <= 4, `${name} has ${n} instances`);
  }
  const split = sample('spike').filter((e) => e.gauge?.['memory']);
  const first = split[0]!;
  assert.ok(
    sample('spike').some(
      (e) => e.timestamp === first.timestamp && e.instanceId === first.instanceId && e.gauge?.['memory_quota'],
    ),
    'memory and memory_quota share a timestamp',
  );
  assert.ok(
    split.every((e) => e.timestamp % 1000n === 0n),
    'log-cache timestamps have microsecond precision',
  );
});

catalog('has gorouter timers of both peer types and custom metric gauges', () => {
  const timers = sample('http-throughput').filter((e) => e.timer);
  assert.equal(new Set(timers.map((e) => e.tags['peer_type'])), new Set(['Client', 'Server']));
  assert.ok(
    timers.every((e) => e.timer!.name === 'http' && e.timer!.stop > e.timer!.start && e.timestamp >= e.timer!.stop),
  );
  const custom = sample('custom-metrics').filter((e) => e.gauge?.['queue_length']);
  assert.ok(custom.length > 200);
  assert.ok(custom.every((e) => Object.keys(e.gauge!).length === 1 && e.gauge!['queue_length']!.unit === 'jobs'));
});

prng.run();
catalog.run();
