import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createJsonByteScanner } from '../../../../lib/core/json/json-byte-scanner.ts';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
/** Strings with what a JSON writer must escape (quotes, backslashes, control characters) now and then. */
const stringArb = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom('', 'cpu', 'a"b', 'a\\b', 'tab\there', 'nl\n', '\u0000', '\u001f', '\u007f', 'é', '😀', '\ud800'),
);
/** The text JSON.stringify gives a string has no escape exactly when it is the string in quotes. */
const plain = (s: string): boolean => JSON.stringify(s) === `"${s}"`;

// ---
const strings = suite('createJsonByteScanner: stringEnd and text');

strings('ends a plain string at its closing quote, reads its text, and refuses escapes and control characters', () => {
  fc.assert(
    fc.property(stringArb, fc.constantFrom('', 'x', '{"'), (s, before) => {
      const scanner = createJsonByteScanner();
      const b = bytes(`${before}${JSON.stringify(s)},`);
      const at = Buffer.byteLength(before) + 1;
      const end = scanner.stringEnd(b, at, b.length);
      if (!plain(s)) {
        assert.is(end, -1, JSON.stringify(s));
        return;
      }
      assert.is(end, b.length - 2);
      assert.is(
        scanner.stringHigh() >= 0x80,
        [...s].some((ch) => ch.codePointAt(0)! >= 0x80),
        'high bits',
      );
      assert.is(scanner.text(b, at, end), s);
      // The second time from the strings kept.
      assert.is(scanner.text(b, at, end), s);
    }),
    { numRuns: 1000 },
  );
});

strings('refuses each control character and a backslash, and a string not closed before the limit', () => {
  const scanner = createJsonByteScanner();
  for (let c = 0; c < 0x20; c++) assert.is(scanner.stringEnd(Buffer.from([0x61, c, 0x22]), 0, 3), -1, `byte ${c}`);
  assert.is(scanner.stringEnd(bytes('a\\"b"'), 0, 5), -1);
  assert.is(scanner.stringEnd(bytes('abc"'), 0, 3), -1, 'the quote at the limit is beyond it');
  assert.is(scanner.stringEnd(bytes('abc"'), 0, 4), 3);
  assert.is(scanner.stringEnd(bytes('"'), 0, 1), 0, 'the empty string');
  assert.is(scanner.stringEnd(bytes('\u007f"'), 0, 2), 1, 'DEL needs no escape');
});

strings('equal bytes hash alike wherever they are and in any scanner; texts differ by their bytes', () => {
  fc.assert(
    fc.property(stringArb.filter(plain), stringArb.filter(plain), fc.nat(8), (s, t, pad) => {
      const one = createJsonByteScanner();
      const other = createJsonByteScanner();
      const b = bytes(`${'.'.repeat(pad)}${s}"${s}"${t}"`);
      const first = one.stringEnd(b, pad, b.length);
      const hash = one.stringHash();
      const high = one.stringHigh();
      const second = one.stringEnd(b, first + 1, b.length);
      assert.is(one.stringHash(), hash);
      assert.is(one.stringHigh(), high);
      other.stringEnd(b, first + 1, b.length);
      assert.is(other.stringHash(), hash);
      // The hash and high bits of an earlier string, given, read its text after another string.
      one.stringEnd(b, second + 1, b.length);
      assert.is(one.text(b, pad, first, hash, high), s);
      assert.is(one.text(b, second + 1, b.length - 1), t);
    }),
    { numRuns: 500 },
  );
  const scanner = createJsonByteScanner();
  const hashOf = (s: string): number => {
    assert.is.not(scanner.stringEnd(bytes(`${s}"`), 0, Buffer.byteLength(s) + 1), -1);
    return scanner.stringHash();
  };
  const samples = ['', 'a', 'b', 'ab', 'ba', 'cpu', 'cpu_entitlement', 'memory', 'memory_quota', '0', '1', '10'];
  assert.is(new Set(samples.map(hashOf)).size, samples.length, 'sample texts have hashes of their own');
});

strings('each scanner has its own last string', () => {
  const one = createJsonByteScanner();
  const other = createJsonByteScanner();
  one.stringEnd(bytes('cpu"'), 0, 4);
  const hash = one.stringHash();
  other.stringEnd(bytes('memé"'), 0, 6);
  assert.is(one.stringHash(), hash);
  assert.is(one.stringHigh() < 0x80, true);
  assert.is(other.stringHigh() >= 0x80, true);
  assert.is.not(other.stringHash(), hash);
});

strings('a string of many bytes, or past the strings kept, is still read', () => {
  const scanner = createJsonByteScanner();
  const long = 'x'.repeat(300);
  const b = bytes(`${long}"`);
  const end = scanner.stringEnd(b, 0, b.length);
  assert.is(scanner.text(b, 0, end), long);
  assert.is(scanner.text(b, 0, end), long);
  // More distinct strings than are kept: the table starts again, texts stay right.
  for (let n = 0; n < 70_000; n += 1) {
    const s = bytes(`s${n}"`);
    const to = scanner.stringEnd(s, 0, s.length);
    if (scanner.text(s, 0, to) !== `s${n}`) assert.unreachable(`s${n}`);
  }
  const again = bytes('s1"');
  assert.is(scanner.text(again, 0, scanner.stringEnd(again, 0, 3)), 's1');
});

strings.run();

// ---
const tags = suite('createJsonByteScanner: tagsEnd');

tags('ends a flat object of plain strings as JSON.stringify writes it, and nothing else', () => {
  fc.assert(
    fc.property(fc.dictionary(stringArb, stringArb, { maxKeys: 5 }), fc.constantFrom('', ',"x"', '}'), (o, after) => {
      const scanner = createJsonByteScanner();
      const text = JSON.stringify(o);
      const b = bytes(`,"tags":${text}${after}`);
      const at = 8;
      const end = scanner.tagsEnd(b, at, b.length);
      const flat = Object.entries(o).every(([k, v]) => plain(k) && plain(v));
      assert.is(end, flat ? at + Buffer.byteLength(text) : -1, text);
      if (end !== -1)
        assert.equal(Object.entries(JSON.parse(b.toString('utf8', at, end)) as object), Object.entries(o));
    }),
    { numRuns: 1000 },
  );
});

tags('refuses nested, non-string, spaced and broken objects, and one not closed before the limit', () => {
  const scanner = createJsonByteScanner();
  const odd = [
    '{"a":{"b":"c"}}',
    '{"a":["b"]}',
    '{"a":1}',
    '{"a":null}',
    '{"a":"b",}',
    '{"a":"b","c"}',
    '{"a""b"}',
    '{"a":"b" }',
    '{ "a":"b"}',
    '{"a" :"b"}',
    '{,}',
    '{"a":"b"',
    '{"a":"b\\"c"}',
    '{"a\u0001":"b"}',
    '["a","b"]',
    '"a"',
    '',
  ];
  for (const text of odd) assert.is(scanner.tagsEnd(bytes(text), 0, Buffer.byteLength(text)), -1, text);
  assert.is(scanner.tagsEnd(bytes('{"a":"b"}'), 0, 8), -1, 'its } at the limit is beyond it');
  assert.is(scanner.tagsEnd(bytes('{}'), 0, 1), -1, 'its } at the limit is beyond it');
  assert.is(scanner.tagsEnd(bytes('{"a":"b"}'), 0, 9), 9);
  assert.is(scanner.tagsEnd(bytes('x{}'), 1, 3), 3);
  assert.is(scanner.tagsHash(), 0);
  assert.is(scanner.tagsHash2(), 0);
});

tags('equal texts hash alike wherever they are and in any scanner; sample texts differ in both hashes', () => {
  fc.assert(
    fc.property(
      fc.dictionary(stringArb.filter(plain), stringArb.filter(plain), { maxKeys: 5 }),
      fc.nat(8),
      (o, pad) => {
        const text = JSON.stringify(o);
        const one = createJsonByteScanner();
        const other = createJsonByteScanner();
        const b = bytes(`${' '.repeat(pad)}${text}${text}`);
        const first = one.tagsEnd(b, pad, b.length);
        const hashes = [one.tagsHash(), one.tagsHash2()];
        assert.is(one.tagsEnd(b, first, b.length), b.length);
        assert.equal([one.tagsHash(), one.tagsHash2()], hashes);
        other.tagsEnd(b, first, b.length);
        assert.equal([other.tagsHash(), other.tagsHash2()], hashes);
      },
    ),
    { numRuns: 500 },
  );
  const scanner = createJsonByteScanner();
  const samples = [
    '{"a":"b"}',
    '{"a":"c"}',
    '{"b":"a"}',
    '{"ab":"c"}',
    '{"a":"bc"}',
    '{"a":"b","c":"d"}',
    '{"c":"d","a":"b"}',
    '{"a":"","b":""}',
    '{"":"a","":"b"}',
    '{"app_name":"web","index":"0"}',
    '{"app_name":"web","index":"1"}',
  ];
  const hashes = samples.map((text) => {
    assert.is(scanner.tagsEnd(bytes(text), 0, text.length), text.length, text);
    return [scanner.tagsHash(), scanner.tagsHash2()] as const;
  });
  assert.is(new Set(hashes.map(([h]) => h)).size, samples.length, 'first hashes of their own');
  assert.is(new Set(hashes.map(([, h]) => h)).size, samples.length, 'second hashes of their own');
  // A refused object leaves the hashes of the last one found.
  assert.is(scanner.tagsEnd(bytes('{"a":1}'), 0, 7), -1);
  assert.equal([scanner.tagsHash(), scanner.tagsHash2()], hashes.at(-1));
});

tags.run();

// ---
const stamps = suite('createJsonByteScanner: timestampOf');

stamps('reads the digits as a bigint, the last one again for the same bytes anywhere', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.constantFrom(1731578402579392000n, 1731578402579392001n, 2731578402579392000n, 0n, 9n, 10n),
          fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
          fc.bigInt({ min: 10n ** 31n, max: 10n ** 40n }),
        ),
        { minLength: 1, maxLength: 12 },
      ),
      (values) => {
        const scanner = createJsonByteScanner();
        const b = bytes(values.map((v) => `"${v}"`).join(','));
        let at = 0;
        for (const v of values) {
          const digits = String(v).length;
          assert.is(scanner.timestampOf(b, at + 1, at + 1 + digits), v);
          at += digits + 3;
        }
      },
    ),
    { numRuns: 500 },
  );
});

stamps('digits longer than are kept are converted each time, not taken for the last ones', () => {
  const scanner = createJsonByteScanner();
  const head = '1'.repeat(32);
  const a = bytes(`${head}11111111`);
  const c = bytes(`${head}22222222`);
  assert.is(scanner.timestampOf(a, 0, a.length), BigInt(a.toString()));
  assert.is(scanner.timestampOf(c, 0, c.length), BigInt(c.toString()));
  assert.is(scanner.timestampOf(a, 0, a.length), BigInt(a.toString()));
  const short = bytes('1731578402579392000');
  assert.is(scanner.timestampOf(short, 0, short.length), 1731578402579392000n);
  assert.is(scanner.timestampOf(bytes('x1731578402579392000'), 1, 20), 1731578402579392000n);
  assert.is(scanner.timestampOf(bytes('1731578402579392001'), 0, 19), 1731578402579392001n);
});

stamps.run();
