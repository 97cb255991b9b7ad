import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { errorText } from '../../../lib/core/error-text.ts';

const test = suite('errorText');

test("an Error gives its message, without the class name or the cause's", () => {
  assert.is(errorText(new TypeError('bad input')), 'bad input');
  assert.is(errorText(new Error('outer', { cause: new Error('inner') })), 'outer');
  assert.is(errorText(new Error('')), '');
});

test('any other thrown value is turned into text', () => {
  assert.is(errorText('plain string'), 'plain string');
  assert.is(errorText(42), '42');
  assert.is(errorText(undefined), 'undefined');
  assert.is(errorText(null), 'null');
  assert.is(errorText({ message: 'not an Error' }), '[object Object]');
  assert.is(errorText(Symbol('s')), 'Symbol(s)');
});

test.run();
