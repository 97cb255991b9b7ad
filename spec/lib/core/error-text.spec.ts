import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { errorText, errorTextWithCauses } from '../../../lib/core/error-text.ts';

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

/** What fetch throws when nothing listens: the reason sits two causes down. */
const refused = () => {
  const system = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9999'), { code: 'ECONNREFUSED' });
  const fetchFailed = new TypeError('fetch failed', { cause: system });
  return new Error('Request failed due to a network error: GET http://127.0.0.1:9999/x', { cause: fetchFailed });
};

const causes = suite('errorTextWithCauses');

causes('names the network cause: code, host and port', () => {
  assert.is(
    errorTextWithCauses(refused()),
    'Request failed due to a network error: GET http://127.0.0.1:9999/x: connect ECONNREFUSED 127.0.0.1:9999',
  );
  const lookup = new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND uaa.example.com') });
  assert.is(errorTextWithCauses(lookup), 'getaddrinfo ENOTFOUND uaa.example.com');
  const both = Object.assign(
    new AggregateError([new Error('connect ECONNREFUSED ::1:5432'), new Error('connect ECONNREFUSED 127.0.0.1:5432')]),
    { code: 'ECONNREFUSED' },
  );
  assert.is(errorTextWithCauses(both), 'connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432');
  assert.is(errorTextWithCauses('plain'), 'plain');
});

test.run();
causes.run();
