import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { clientCredentialsTokenUrl, passwordGrantTokenUrl, redactUrl } from '../../../../lib/adapters/uaa/token-url.ts';
import { usableLifetimeSecs } from '../../../../lib/adapters/uaa/token-lifetime.ts';

// ---
const urls = suite('token URLs');

urls('password grant appends /oauth/token unless present', () => {
  assert.is(passwordGrantTokenUrl('https://uaa.x'), 'https://uaa.x/oauth/token');
  assert.is(passwordGrantTokenUrl('https://uaa.x/'), 'https://uaa.x/oauth/token');
  assert.is(passwordGrantTokenUrl('https://uaa.x/uaa//'), 'https://uaa.x/uaa/oauth/token');
  assert.is(passwordGrantTokenUrl('https://uaa.x/oauth/token'), 'https://uaa.x/oauth/token');
});

urls('client credentials replace the path', () => {
  assert.is(clientCredentialsTokenUrl('https://uaa.x/some/path?q=1'), 'https://uaa.x/oauth/token');
});

urls('an invalid URL is refused with its text', () => {
  assert.throws(() => passwordGrantTokenUrl('uaa.x'), /invalid UAA url "uaa\.x"/);
});

urls('redaction removes user-info', () => {
  assert.is(redactUrl('https://user:pw@uaa.x/oauth/token'), 'https://uaa.x/oauth/token');
});

// ---
const lifetime = suite('usableLifetimeSecs');

lifetime('keeps a 30 s buffer, or half of short lifetimes', () => {
  assert.equal([3600, 31, 30, 20, 1].map(usableLifetimeSecs), [3570, 1, 15, 10, 1]);
});

urls.run();
lifetime.run();
