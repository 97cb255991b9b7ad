import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvelope } from '../../../../lib/core/envelope/parse-envelope.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';
import { encodeEnvelope, encodeEnvelopeLine } from '../../../../lib/core/envelope/envelope-json.ts';
import { createLineScanner } from '../../../../lib/tools/recording/line-scanner.ts';
import type { EnvelopeColumns } from '../../../../lib/tools/recording/line-scanner.ts';
import { parseRecordingLine } from '../../../../lib/tools/recording/parse-recording-line.ts';
import type { RecordingEntry } from '../../../../lib/tools/recording/parse-recording-line.ts';
import {
  lineEnd,
  lineStart,
  readRecordingBlocks,
  readRecordingChunks,
} from '../../../../lib/tools/recording/read-recording-lines.ts';

/** Every detail of an entry, key order, -0 and bigint included, as text. */
const canonical = (entry: RecordingEntry | undefined): string =>
  entry === undefined
    ? 'blank'
    : JSON.stringify(entry, (_k, v: unknown) =>
        typeof v === 'bigint'
          ? `${v}n`
          : typeof v === 'number' && (Object.is(v, -0) || !Number.isFinite(v))
            ? `number ${Object.is(v, -0) ? '-0' : String(v)}`
            : v,
      );

/** What the full parser makes of a line: the definition the scanner must match. */
const expected = (text: string, line: number): string =>
  canonical(text.trim().length === 0 ? undefined : parseRecordingLine(text, line, parseEnvelope));

/** Scans lines one after another with one scanner (it learns tags as it goes) and compares each. */
const assertSameAsParser = (lines: readonly string[]) => {
  const scan = createLineScanner(parseEnvelope);
  const bytes = Buffer.from(lines.join('\n'), 'utf8');
  let start = 0;
  lines.forEach((text, i) => {
    const end = start + Buffer.byteLength(text, 'utf8');
    const got = canonical(scan(bytes, start, end, i + 1));
    // The text as a reader decodes it from the file (a lone surrogate has become U+FFFD).
    const want = expected(bytes.toString('utf8', start, end), i + 1);
    if (got !== want) assert.unreachable(`line ${i + 1} ${JSON.stringify(text)}\n  scanner ${got}\n  parser  ${want}`);
    start = end + 1;
  });
  return scan;
};

/** Columns that make the envelope written to them, to compare; `room` metrics at most per gauge. */
const envelopeColumns = (room = Number.POSITIVE_INFINITY) => {
  let made: Envelope | undefined;
  let begun: { head: Omit<Envelope, 'gauge'>; gauge: Record<string, { unit: string; value: number }> } | undefined;
  const columns: EnvelopeColumns = {
    gaugeStart(timestamp, sourceId, instanceId, tags) {
      begun = { head: { timestamp, sourceId, instanceId, tags }, gauge: {} };
      return true;
    },
    metric(name, unit, value) {
      if (Object.keys(begun!.gauge).length >= room) {
        begun = undefined;
        return false;
      }
      begun!.gauge[name] = { unit, value };
      return true;
    },
    gaugeEnd() {
      made = { ...begun!.head, gauge: begun!.gauge };
      begun = undefined;
    },
    gaugeDropped() {
      begun = undefined;
    },
    timer(timestamp, sourceId, instanceId, tags, name, start, stop) {
      made = { timestamp, sourceId, instanceId, tags, timer: { name, start, stop } };
      return true;
    },
    counter(timestamp, sourceId, instanceId, tags, name, delta, total) {
      made = { timestamp, sourceId, instanceId, tags, counter: { name, delta, total } };
      return true;
    },
  };
  const take = (): Envelope | undefined => {
    assert.is(begun, undefined, 'a gauge begun and neither ended nor dropped');
    const envelope = made;
    made = undefined;
    return envelope;
  };
  return { columns, take };
};

// ---
const stringArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('app-1', 'app-2', 'cpu', 'memory', '%', 'bytes', '0', '1', '') },
  { weight: 2, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('__proto__', 'constructor', 'a"b', 'a\\b', 'tab\there', 'é', '😀', '\u0000'),
  },
);
const int64Arb = fc.oneof(
  fc.bigInt({ min: 1_700_000_000_000_000_000n, max: 1_800_000_000_000_000_000n }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constantFrom(0n, 1n, 10n, 999_999_999_999_999_999n, 1_000_000_000_000_000_000n),
);
const valueArb = fc.oneof(
  fc.double(),
  fc.integer({ min: -1_000_000, max: 10_000_000_000 }),
  fc.integer({ min: 0, max: 1_000_000 }).map((n) => n / 10_000),
  fc.constantFrom(0, -0, 0.1, 1e21, 1e-7, 123456789012345.6, 2 ** 53 + 1, Number.NaN, Number.POSITIVE_INFINITY),
);
const tagsArb: fc.Arbitrary<Record<string, string>> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom<Record<string, string>>(
      { app_name: 'web', index: '0' },
      { app_name: 'web', index: '1' },
      {},
    ),
  },
  { weight: 1, arbitrary: fc.dictionary(stringArb, stringArb, { maxKeys: 4 }) },
);
const envelopeArb: fc.Arbitrary<Envelope> = fc
  .record({
    timestamp: int64Arb,
    sourceId: fc.oneof(fc.constantFrom('app-1', 'app-2'), stringArb),
    instanceId: fc.oneof(fc.constantFrom('0', '1'), stringArb),
    tags: tagsArb,
    kind: fc.constantFrom('gauge', 'gauge', 'gauge', 'timer', 'counter'),
    metrics: fc.array(fc.tuple(stringArb, stringArb, valueArb), { minLength: 0, maxLength: 3 }),
    name: stringArb,
    a: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    b: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  })
  .map(({ timestamp, sourceId, instanceId, tags, kind, metrics, name, a, b }): Envelope => {
    const base = { timestamp, sourceId, instanceId, tags };
    if (kind === 'timer') return { ...base, timer: { name, start: BigInt.asIntN(64, a), stop: BigInt.asIntN(64, b) } };
    if (kind === 'counter') return { ...base, counter: { name, delta: a, total: b } };
    return { ...base, gauge: Object.fromEntries(metrics.map(([n, unit, value]) => [n, { unit, value }])) };
  });

/** Lines as recordings have them, and the ways a hand-edited or foreign file differs. */
const lineArb = fc.oneof(
  { weight: 8, arbitrary: envelopeArb.map(encodeEnvelopeLine) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(envelopeArb, fc.constantFrom('spaces', 'reordered', 'duplicate-tags', 'extra-key', 'bare-int64'))
      .map(([e, how]) => {
        const wire = encodeEnvelope(e);
        if (how === 'spaces') return JSON.stringify(wire, null, 1).replace(/\n/g, '');
        if (how === 'reordered') return JSON.stringify(Object.fromEntries(Object.entries(wire).reverse()));
        if (how === 'duplicate-tags') return encodeEnvelopeLine(e).replace(',"gauge"', ',"tags":{"x":"y"},"gauge"');
        if (how === 'extra-key') return encodeEnvelopeLine(e).replace(/}$/, ',"x":1}');
        return encodeEnvelopeLine(e).replace(/"timestamp":"(\d+)"/, '"timestamp":$1');
      }),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(envelopeArb, fc.nat()).map(([e, cut]) => {
      const line = encodeEnvelopeLine(e);
      return line.slice(0, cut % line.length);
    }),
  },
  { weight: 1, arbitrary: fc.json().map((j) => j) },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', '\t', '{oops', 'null', '[]', '{"envelopes":[]}', '{}') },
);

const scanner = suite('createLineScanner');

scanner('reads every generated line as the full parser does, learning tags line after line', () => {
  fc.assert(
    fc.property(fc.array(lineArb, { minLength: 1, maxLength: 30 }), (lines) => {
      assertSameAsParser(lines);
    }),
    { numRuns: 400 },
  );
});

scanner('a line repeated after a change of tags, timestamp or value is read anew', () => {
  fc.assert(
    fc.property(fc.array(envelopeArb, { minLength: 2, maxLength: 6 }), fc.nat(), (envelopes, seed) => {
      // Many lines of one instance with small differences: the cached tags and timestamp must not leak.
      const lines = envelopes.flatMap((e, i) => [
        encodeEnvelopeLine({ ...e, sourceId: 'app-1', instanceId: '0' }),
        encodeEnvelopeLine({
          ...e,
          sourceId: 'app-1',
          instanceId: '0',
          tags: { ...e.tags, n: String((seed + i) % 3) },
        }),
      ]);
      assertSameAsParser(lines);
    }),
    { numRuns: 300 },
  );
});

scanner('takes the fast path for the lines recordings are made of', () => {
  const e: Envelope = {
    timestamp: 1731578409753455000n,
    sourceId: 'app-1',
    instanceId: '0',
    tags: { app_name: 'web', index: 'abc' },
    gauge: { cpu: { unit: 'percentage', value: 19.1224 } },
  };
  const lines = Array.from({ length: 100 }, (_v, i) =>
    encodeEnvelopeLine({ ...e, timestamp: e.timestamp + BigInt(i), gauge: { cpu: { unit: '%', value: i / 7 } } }),
  );
  const scan = assertSameAsParser(lines);
  assert.is(scan.fallbacks(), 1, 'only the first line of the instance, to learn its tags');
});

scanner('a probe reads a line as scanning it with its end would, and finds that end, or leaves it alone', () => {
  fc.assert(
    fc.property(
      fc.array(
        lineArb.filter((l) => !/[\r\n]/.test(l)),
        { minLength: 1, maxLength: 30 },
      ),
      fc.constantFrom('\n', '\r\n'),
      fc.boolean(),
      (lines, newline, lastNewline) => {
        const bytes = Buffer.from(lines.join(newline) + (lastNewline ? newline : ''), 'utf8');
        const scanned = createLineScanner(parseEnvelope);
        const probed = createLineScanner(parseEnvelope);
        const written = createLineScanner(parseEnvelope);
        const { columns, take } = envelopeColumns();
        let start = 0;
        lines.forEach((text, i) => {
          const end = start + Buffer.byteLength(text, 'utf8');
          const want = canonical(scanned(bytes, start, end, i + 1));
          let got = probed.probe(bytes, start, bytes.length, i + 1);
          if (got === null) got = probed(bytes, start, end, i + 1) ?? null;
          else assert.is(probed.probedEnd(), end + newline.length - 1, `line ${i + 1}: its newline`);
          assert.is(got === null ? 'blank' : canonical(got), want, `line ${i + 1} ${JSON.stringify(text)}`);
          // Probing into columns: the same envelope written there, or nothing and the line scanned.
          let into: RecordingEntry | undefined;
          if (written.probeInto(bytes, start, bytes.length, i + 1, columns)) {
            assert.is(written.probedEnd(), end + newline.length - 1, `line ${i + 1}: its newline`);
            into = { ok: true, line: i + 1, envelope: take()! };
          } else {
            assert.is(take(), undefined, `line ${i + 1}: nothing written`);
            into = written(bytes, start, end, i + 1);
          }
          assert.is(canonical(into), want, `line ${i + 1} into columns ${JSON.stringify(text)}`);
          start = end + newline.length;
        });
        assert.is(probed.fallbacks(), scanned.fallbacks());
        assert.is(written.fallbacks(), scanned.fallbacks());
      },
    ),
    { numRuns: 400 },
  );
});

scanner('a probe reads the lines recordings are made of, and only lines that end in a newline', () => {
  const e: Envelope = {
    timestamp: 1731578409753455000n,
    sourceId: 'app-1',
    instanceId: '0',
    tags: { app_name: 'web', index: 'abc' },
    gauge: { cpu: { unit: 'percentage', value: 19.1224 } },
  };
  const lines = Array.from({ length: 20 }, (_v, i) =>
    encodeEnvelopeLine({ ...e, timestamp: e.timestamp + BigInt(i % 3), gauge: { cpu: { unit: '%', value: i } } }),
  );
  const bytes = Buffer.from(lines.join('\n'), 'utf8');
  const scan = createLineScanner(parseEnvelope);
  let start = 0;
  let probed = 0;
  lines.forEach((text, i) => {
    const end = start + Buffer.byteLength(text);
    if (scan.probe(bytes, start, bytes.length, i + 1) !== null) probed += 1;
    else scan(bytes, start, end, i + 1);
    start = end + 1;
  });
  // The first line teaches the scanner the instance's tags; the last has no newline after it.
  assert.is(probed, lines.length - 2);
});

scanner('a probe into columns that have no room for a gauge writes nothing, and the line is scanned', () => {
  const e: Envelope = {
    timestamp: 1731578409753455000n,
    sourceId: 'app-1',
    instanceId: '0',
    tags: { app_name: 'web' },
    gauge: { cpu: { unit: '%', value: 1 }, memory: { unit: 'bytes', value: 2 } },
  };
  const lines = [encodeEnvelopeLine(e), encodeEnvelopeLine({ ...e, timestamp: e.timestamp + 1n }), ''];
  const bytes = Buffer.from(lines.join('\n'), 'utf8');
  const scan = createLineScanner(parseEnvelope);
  const second = Buffer.byteLength(lines[0]!) + 1;
  // The first line teaches the scanner the tags.
  assert.is(scan.probeInto(bytes, 0, bytes.length, 1, envelopeColumns().columns), false);
  scan(bytes, 0, second - 1, 1);
  const full = envelopeColumns(1);
  assert.is(scan.probeInto(bytes, second, bytes.length, 2, full.columns), false);
  assert.is(full.take(), undefined);
  const roomy = envelopeColumns(2);
  assert.ok(scan.probeInto(bytes, second, bytes.length, 2, roomy.columns));
  assert.equal(roomy.take(), { ...e, timestamp: e.timestamp + 1n });
  assert.is(scan.fallbacks(), 1);
});

scanner.run();

// ---
const bundled = suite('the line scanner on the bundled recordings');
const recordings = join(import.meta.dirname, '..', '..', '..', '..', 'recordings');

for (const name of readdirSync(recordings).filter((n) => !n.includes('.'))) {
  bundled(`${name}: every line as the full parser reads it`, async () => {
    const scan = createLineScanner(parseEnvelope);
    let lines = 0;
    for await (const chunk of readRecordingChunks(join(recordings, name, 'recording.ndjson.gz'))) {
      for (let i = 0; i < chunk.ends.length; i++) {
        const start = lineStart(chunk, i);
        const end = lineEnd(chunk, i);
        const line = chunk.firstLine + i;
        const got = canonical(scan(chunk.bytes, start, end, line));
        const want = expected(chunk.bytes.toString('utf8', start, end), line);
        if (got !== want) assert.unreachable(`line ${line}\n  scanner ${got}\n  parser  ${want}`);
        lines += 1;
      }
    }
    assert.ok(lines > 100);
    // Every http request has tags of its own (uri, status): those lines are new text each time.
    const share = name === 'http-throughput' ? 0.6 : 0.05;
    assert.ok(scan.fallbacks() < lines * share, `${scan.fallbacks()} of ${lines} lines needed the full parser`);
  });
}

for (const name of readdirSync(recordings).filter((n) => !n.includes('.'))) {
  bundled(`${name}: blocks read by probing give the lines and entries that chunks give`, async () => {
    const path = join(recordings, name, 'recording.ndjson.gz');
    const want: string[] = [];
    const reference = createLineScanner(parseEnvelope);
    for await (const chunk of readRecordingChunks(path))
      for (let i = 0; i < chunk.ends.length; i++)
        want.push(canonical(reference(chunk.bytes, lineStart(chunk, i), lineEnd(chunk, i), chunk.firstLine + i)));
    const got: string[] = [];
    const scan = createLineScanner(parseEnvelope);
    const position = { line: 0 };
    let probed = 0;
    for await (const block of readRecordingBlocks(path, undefined, position)) {
      assert.ok(block.length > 0);
      for (let start = 0; start < block.length; ) {
        const line = position.line + 1;
        let entry = scan.probe(block, start, block.length, line);
        if (entry !== null) {
          probed += 1;
          start = scan.probedEnd() + 1;
        } else {
          const newline = block.indexOf(0x0a, start);
          const end = newline === -1 ? block.length : newline;
          entry = scan(block, start, end, line) ?? null;
          start = end + 1;
        }
        got.push(entry === null ? 'blank' : canonical(entry));
        position.line = line;
      }
    }
    assert.is(got.length, want.length);
    for (let i = 0; i < want.length; i++)
      if (got[i] !== want[i]) assert.unreachable(`line ${i + 1}\n  ${got[i]}\n  ${want[i]}`);
    assert.ok(probed > want.length * 0.3, `${probed} of ${want.length} lines read by probing`);
  });
}

bundled.run();
