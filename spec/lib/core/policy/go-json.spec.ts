import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decode, JsonShapeError, parseKeepingNumbers } from '../../../../lib/core/policy/go-json.ts';
import type { Shape } from '../../../../lib/core/policy/go-json.ts';

const go = suite('decode (Go encoding/json semantics)');
const shape: Shape = {
  fields: { name: 'string', n: 'int', list: { items: 'int' }, inner: { fields: { flag: 'string' } } },
};
const run = (text: string) => decode(parseKeepingNumbers(text), shape);
const error = (text: string): JsonShapeError => {
  try {
    run(text);
  } catch (err) {
    if (err instanceof JsonShapeError) return err;
    throw err;
  }
  throw new Error(`expected a JsonShapeError for ${text}`);
};

go('decodes matching values, integers as bigint', () => {
  assert.equal(run('{"name":"x","n":12,"list":[1,-2],"inner":{"flag":"y"}}'), {
    name: 'x',
    n: 12n,
    list: [1n, -2n],
    inner: { flag: 'y' },
  });
});

go('tells integer literals from other spellings of the same number', () => {
  assert.is(error('{"n":12.0}').path, 'n');
  assert.is(error('{"n":1.2e1}').path, 'n');
  assert.is(error('{"list":[1,2.5]}').path, 'list[1]');
});

go('prefers an exact key, then any case-insensitive one; unknown keys are ignored', () => {
  assert.equal(run('{"NAME":"a","unknown":[{}]}'), { name: 'a' });
  assert.equal(run('{"NAME":"a","name":"b"}'), { name: 'b' });
});

go('null keeps scalars as they were and resets arrays', () => {
  assert.equal(run('{"n":1,"N":null}'), { n: 1n });
  assert.equal(run('{"list":[1],"LIST":null}'), {});
  assert.is(run('null'), undefined);
});

go('names the path of the first type error', () => {
  assert.is(error('{"inner":{"flag":false}}').message, 'inner.flag: expected a string, got bool false');
  assert.is(error('{"inner":"x"}').message, 'inner: expected an object, got string "x"');
});

go.run();
