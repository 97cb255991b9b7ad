import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { accessTokenOf } from '../../../../lib/adapters/uaa/post-token-request.ts';
import { isTokenRequestError } from '../../../../lib/adapters/uaa/token-request-error.ts';

const URL = 'https://uaa.example/oauth/token';
const reply = (body: unknown, text = JSON.stringify(body) ?? '') => ({ status: 200, body, text });
const failure = (run: () => unknown) => {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
};

const test = suite('accessTokenOf');

test('gives the access token of a JSON object reply', () => {
  assert.is(accessTokenOf(reply({ access_token: 'abc', token_type: 'bearer' }), URL), 'abc');
});

test('rejects a body that is not a JSON object, quoting the start of the text', () => {
  for (const body of [undefined, null, 'text', 42]) {
    const err = failure(() => accessTokenOf(reply(body, `<html>${'x'.repeat(200)}`), URL));
    assert.ok(isTokenRequestError(err));
    assert.match(err.detail, /^token response is not a JSON object: <html>x+$/);
    assert.is(err.detail.length, 'token response is not a JSON object: '.length + 100);
    assert.is(err.status, 200);
  }
});

test('rejects a missing or empty access token', () => {
  for (const body of [{}, { access_token: '' }, { access_token: 7 }]) {
    const err = failure(() => accessTokenOf(reply(body), URL));
    assert.ok(isTokenRequestError(err));
    assert.is(err.detail, 'token response contained empty access_token');
  }
});

test.run();
