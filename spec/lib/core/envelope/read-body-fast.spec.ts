import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readBodyFast } from '../../../../lib/core/envelope/read-body-fast.ts';
import { parseReadResponse } from '../../../../lib/core/envelope/parse-read-response.ts';
import { parse } from '../../../../lib/core/json/bigint-json.ts';

const exact = (text: string) => parseReadResponse(parse(text));
const body = (...envelopes: string[]): string => `{"envelopes":{"batch":[${envelopes.join(',')}]}}`;
const gauge = (timestamp: string, value: string, extra = ''): string =>
  `{"timestamp":${timestamp},"source_id":"app","instance_id":"0","tags":{"origin":"rep"}${extra},"gauge":{"metrics":{"cpu":{"unit":"percentage","value":${value}}}}}`;

const test = suite('readBodyFast');

test('reads a body of string int64s and number doubles as the exact decoder does', () => {
  const text = body(gauge('"1796522582003000000"', '12.5'), gauge('"1796522582003000001"', '7'));
  const read = readBodyFast(text);
  assert.ok(read);
  assert.equal(read, exact(text));
  assert.is(read.envelopes[0]?.timestamp, 1796522582003000000n);
});

test('declines a body whose bare long timestamp would lose digits: the exact decoder keeps them', () => {
  const text = body(gauge('1796522582003000123', '12.5'));
  assert.is(readBodyFast(text), undefined);
  assert.is(exact(text).envelopes[0]?.timestamp, 1796522582003000123n);
});

test('keeps its result when a refused envelope has nothing to do with long literals', () => {
  const text = body(gauge('"1796522582003000000"', '"not a number"'), gauge('"1796522582003000000"', '3'));
  const read = readBodyFast(text);
  assert.ok(read);
  assert.is(read.rejected.length, 1);
  assert.equal(read, exact(text));
});

test('a bare long integer in a double field gives the same double either way', () => {
  const text = body(gauge('"1796522582003000000"', '123456789012345678901'));
  const read = readBodyFast(text);
  assert.ok(read);
  assert.equal(read, exact(text));
});

test('declines what is not JSON or not a read body, for the exact path to name the error', () => {
  assert.is(readBodyFast('<html>'), undefined);
  assert.is(readBodyFast('{"error":"unauthorized"}'), undefined);
});

test('property: whenever it reads a body, it reads it as the exact decoder does', () => {
  let seed = 20261206;
  const next = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const digits = (n: number): string =>
    String(1 + next(9)) + Array.from({ length: n - 1 }, () => String(next(10))).join('');
  // Mostly what log-cache sends, now and then a bare long literal or a value the reader refuses.
  const pick = (usual: string, odd: readonly string[]): string => (next(4) === 0 ? odd[next(odd.length)]! : usual);
  const timestamps = () => pick(`"${digits(19)}"`, [digits(19), digits(15), `"${digits(16)}"`, '-5', '"x"']);
  const values = () => pick(`${next(100)}.5`, [digits(17), digits(22), '"NaN"', '"12"', 'null', '-0', '1e300']);
  const extras = () => pick('', [',"instance_id":7', `,"instance_id":${digits(18)}`, ',"tags":{"a":1}']);
  let fast = 0;
  let declined = 0;
  for (let i = 0; i < 2000; i++) {
    const text = body(...Array.from({ length: 1 + next(4) }, () => gauge(timestamps(), values(), extras())));
    const read = readBodyFast(text);
    if (read === undefined) {
      declined += 1;
      continue;
    }
    fast += 1;
    assert.equal(read, exact(text), text);
  }
  // Both ways were taken often enough to mean something.
  assert.ok(fast > 200 && declined > 200, `${fast} read, ${declined} declined`);
});

test.run();
