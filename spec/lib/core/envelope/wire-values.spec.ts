import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { field, readDouble, readInt64, readUint64 } from '../../../../lib/core/envelope/wire-values.ts';

// ---
const ints = suite('readInt64 / readUint64');

ints('reads decimal strings, safe integers and bigints exactly', () => {
  assert.equal(readInt64('-9223372036854775808'), { ok: true, value: -(2n ** 63n) });
  assert.equal(readInt64(42), { ok: true, value: 42n });
  assert.equal(readInt64(1731578400123456789n), { ok: true, value: 1731578400123456789n });
  assert.equal(readUint64('18446744073709551615'), { ok: true, value: 2n ** 64n - 1n });
});

ints('explains why a value is not an integer', () => {
  assert.equal(readInt64('1.0'), { ok: false, problem: 'is not an int64 (expected a decimal string or an integer)' });
  assert.equal(readInt64(Number.NaN), { ok: false, problem: 'is not an int64 (a fractional or non-finite number)' });
  assert.equal(readInt64(2 ** 60), {
    ok: false,
    problem: 'is a number beyond 2^53 that has lost precision (send it as a string)',
  });
  assert.equal(readUint64('-1'), { ok: false, problem: 'is out of the uint64 range' });
  assert.equal(readInt64(true), { ok: false, problem: 'is not an int64 (expected a decimal string or an integer)' });
});

ints.run();

// ---
const doubles = suite('readDouble');

doubles('reads numbers, bigints, numeric strings and the protojson non-finite names', () => {
  assert.equal(
    [readDouble(1.5), readDouble(10n), readDouble('-2e3'), readDouble('Infinity'), readDouble('-Infinity')],
    [1.5, 10, -2000, Infinity, -Infinity],
  );
  assert.ok(Number.isNaN(readDouble('NaN')));
});

doubles('refuses other text and other types', () => {
  for (const value of ['', ' 1', '1,5', '0x1', 'inf', null, {}, [], true])
    assert.is(readDouble(value), undefined, String(value));
});

doubles.run();

// ---
const fields = suite('field');

fields('prefers the proto name, falls back to lowerCamelCase, ignores inherited keys', () => {
  assert.is(field({ source_id: 'a', sourceId: 'b' }, 'source_id', 'sourceId'), 'a');
  assert.is(field({ sourceId: 'b' }, 'source_id', 'sourceId'), 'b');
  assert.is(field({}, 'constructor'), undefined);
});

fields.run();
