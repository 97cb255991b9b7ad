import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createJsonNumberReader } from '../../../../lib/core/json/json-number-reader.ts';

/** JSON.parse of a number's text, or undefined when it is no JSON number. */
const parsed = (text: string): number | undefined => {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'number' && /^[-\d]/.test(text) ? value : undefined;
  } catch {
    return undefined;
  }
};

const s = suite('createJsonNumberReader');

s('reads every double as JSON.parse reads the text JSON.stringify gives it', () => {
  const reader = createJsonNumberReader();
  fc.assert(
    fc.property(
      fc.oneof(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer(),
        fc.integer({ min: 0, max: 1_000_000 }).map((n) => n / 10_000),
        fc.constantFrom(0, -0, 0.1, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, 123456789012345.6, 2 ** 53 + 1),
      ),
      fc.constantFrom('', '}', ',"x"'),
      (value, after) => {
        const text = JSON.stringify(value);
        const b = Buffer.from(`:${text}${after}`, 'latin1');
        const got = reader.read(b, 1, b.length);
        assert.ok(Object.is(got, JSON.parse(text)), `${text}: ${got}`);
        assert.is(reader.end, 1 + text.length);
      },
    ),
    { numRuns: 2000 },
  );
});

s('reads the longest JSON number at its start, or none, as JSON.parse reads its text', () => {
  const reader = createJsonNumberReader();
  const text = fc
    .array(fc.constantFrom('-', '+', '.', 'e', 'E', '0', '1', '5', '9', '0', '7', 'x'), { maxLength: 28 })
    .map((chars) => chars.join(''));
  fc.assert(
    fc.property(text, (t) => {
      const b = Buffer.from(t, 'latin1');
      const got = reader.read(b, 0, b.length);
      const whole = parsed(t);
      if (whole !== undefined) {
        assert.ok(Object.is(got, whole), `${t}: ${got}, not ${whole}`);
        assert.is(reader.end, t.length, t);
      } else if (got !== undefined) {
        assert.ok(reader.end < t.length, t);
        assert.ok(Object.is(got, parsed(t.slice(0, reader.end))), `${t}: ${got} from ${t.slice(0, reader.end)}`);
      }
    }),
    { numRuns: 5000 },
  );
});

s('no number: a sign alone, a leading zero, a bare dot or exponent; and none past the limit', () => {
  const reader = createJsonNumberReader();
  const read = (t: string, limit = t.length) => reader.read(Buffer.from(t, 'latin1'), 0, limit);
  for (const t of ['', '-', '+1', '01', '-01', '.5', '1.', '1.e5', '1e', '1e+', 'x1', '-x'])
    assert.is(read(t), undefined, t);
  assert.is(read('12345', 3), 123);
  assert.is(reader.end, 3);
  assert.is(read('1.25', 2), undefined, 'its fraction cut by the limit');
  assert.is(read('0.5'), 0.5);
  assert.ok(Object.is(read('-0'), -0));
  assert.is(read('12345678901234567890'), 12345678901234567000);
});

s.run();
