import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import bcrypt from 'bcryptjs';
import { createBasicAuth, parseBasicAuth } from '../../../../lib/adapters/http/basic-auth.ts';

const header = (user: string, pass: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
});
const NONE = { username: '', password: '', username_hash: '', password_hash: '' };

// ---
const parse = suite('parseBasicAuth');

parse('reads user and password, splitting at the first colon, with a case-insensitive scheme', () => {
  assert.equal(parseBasicAuth(`basic ${Buffer.from('u:p:q').toString('base64')}`), { username: 'u', password: 'p:q' });
  assert.equal(parseBasicAuth(`BASIC ${Buffer.from(':').toString('base64')}`), { username: '', password: '' });
});

parse('rejects other schemes, bad base64 and a missing colon', () => {
  assert.is(parseBasicAuth(undefined), undefined);
  assert.is(parseBasicAuth('Bearer abc'), undefined);
  assert.is(parseBasicAuth('Basic !!!!'), undefined);
  assert.is(parseBasicAuth(`Basic ${Buffer.from('nocolon').toString('base64')}`), undefined);
});

// ---
const auth = suite('createBasicAuth');

auth('lets everything through when no credential is configured', async () => {
  const basic = createBasicAuth(NONE);
  assert.is(basic.enabled, false);
  assert.is(await basic.check({}), true);
});

auth('requires both plain credentials to match', async () => {
  const basic = createBasicAuth({ ...NONE, username: 'user', password: 'password' });
  assert.is(basic.enabled, true);
  assert.is(await basic.check(header('user', 'password')), true);
  assert.is(await basic.check(header('wrongusername', 'wrongpassword')), false);
  assert.is(await basic.check(header('user', 'wrongpassword')), false);
  assert.is(await basic.check(header('wrongusername', 'password')), false);
  assert.is(await basic.check({}), false);
});

auth('uses configured bcrypt hashes as given', async () => {
  const basic = createBasicAuth({
    ...NONE,
    username_hash: bcrypt.hashSync('user', 4),
    password_hash: bcrypt.hashSync('secret', 5),
  });
  assert.is(await basic.check(header('user', 'secret')), true);
  assert.is(await basic.check(header('user', 'Secret')), false);
});

auth('compares only the first 72 bytes of long credentials, as bcrypt does', async () => {
  const long = 'p'.repeat(72);
  const basic = createBasicAuth({ ...NONE, username: 'user', password: `${long}-tail` });
  assert.is(await basic.check(header('user', `${long}-tail`)), true);
  assert.is(await basic.check(header('user', `${long}-other`)), true);
  assert.is(await basic.check(header('user', long.slice(1))), false);
});

auth('fails closed on an unusable hash', async () => {
  const basic = createBasicAuth({ ...NONE, username_hash: 'not-a-hash', password_hash: 'not-a-hash' });
  assert.is(await basic.check(header('not-a-hash', 'not-a-hash')), false);
});

parse.run();
auth.run();
