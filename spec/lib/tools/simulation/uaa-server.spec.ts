import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { startUaaServer } from '../../../../lib/tools/simulation/uaa-server.ts';
import type { UaaServer } from '../../../../lib/tools/simulation/uaa-server.ts';
import { FIXTURE_DIR } from '../../../lib/core/envelope/fixtures/load-fixture.ts';

const FIXTURES = FIXTURE_DIR;
const fixture = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(`${FIXTURES}/${file}`, 'utf8')) as Record<string, unknown>;
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

let uaa: UaaServer;
const post = async (form: Record<string, string>, authorization?: string) => {
  const response = await fetch(`${uaa.url}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams(form).toString(),
    signal: AbortSignal.timeout(5000),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
};

// ---
const server = suite('startUaaServer');
server.before.each(async () => {
  uaa = await startUaaServer({
    clients: [
      { id: 'autoscaler_logcache', secret: 'secret', grants: ['client_credentials'], scopes: ['logs.admin'] },
      { id: 'cf', secret: '', grants: ['password'], scopes: ['openid', 'logs.admin', 'cloud_controller.read'] },
    ],
    users: [{ username: 'ops', password: 'pw', scopes: ['openid', 'cloud_controller.read'] }],
  });
});
server.after.each(() => uaa.close());

server('issues client-credentials tokens shaped like the fixture', async () => {
  const r = await post(
    { client_id: 'autoscaler_logcache', grant_type: 'client_credentials' },
    basic('autoscaler_logcache', 'secret'),
  );
  assert.is(r.status, 200);
  assert.equal(Object.keys(r.body), Object.keys(fixture('uaa-token-client-credentials.json')));
  assert.is(r.body['token_type'], 'bearer');
  assert.is(r.body['expires_in'], 43199);
  assert.is(r.body['scope'], 'logs.admin');
  const claims = JSON.parse(
    Buffer.from(String(r.body['access_token']).split('.')[1] ?? '', 'base64url').toString(),
  ) as Record<string, unknown>;
  assert.is(claims['client_id'], 'autoscaler_logcache');
  assert.equal(claims['authorities'], ['logs.admin']);
  assert.is(uaa.registry.check(`bearer ${String(r.body['access_token'])}`), 'ok');
});

server('issues password tokens to cf with an empty secret, scopes narrowed to the user', async () => {
  const r = await post({ grant_type: 'password', username: 'ops', password: 'pw' }, 'Basic Y2Y6');
  assert.is(r.status, 200);
  assert.equal(Object.keys(r.body), Object.keys(fixture('uaa-token-password.json')));
  assert.is(r.body['expires_in'], 1199);
  assert.is(r.body['scope'], 'openid cloud_controller.read');
});

server('accepts client credentials in the form body too', async () => {
  const r = await post({ grant_type: 'client_credentials', client_id: 'autoscaler_logcache', client_secret: 'secret' });
  assert.is(r.status, 200);
});

server('answers bad credentials and wrong grants like UAA', async () => {
  const wrongSecret = await post({ grant_type: 'client_credentials' }, basic('autoscaler_logcache', 'nope'));
  assert.is(wrongSecret.status, 401);
  assert.equal(wrongSecret.body, fixture('uaa-error-bad-credentials.json'));
  assert.match(wrongSecret.headers.get('www-authenticate') ?? '', /^Basic realm="UAA\/client"/);
  const wrongUser = await post({ grant_type: 'password', username: 'ops', password: 'x' }, 'Basic Y2Y6');
  assert.equal([wrongUser.status, wrongUser.body], [401, fixture('uaa-error-bad-credentials.json')]);
  const wrongGrant = await post(
    { grant_type: 'password', username: 'ops', password: 'pw' },
    basic('autoscaler_logcache', 'secret'),
  );
  assert.equal([wrongGrant.status, wrongGrant.body], [401, fixture('uaa-error-unauthorized-grant-type.json')]);
  const unknownGrant = await post({ grant_type: 'implicit' }, basic('autoscaler_logcache', 'secret'));
  assert.equal([unknownGrant.status, unknownGrant.body['error']], [400, 'unsupported_grant_type']);
  assert.equal(
    uaa.requests.map((r) => r.status),
    [401, 401, 401, 400],
  );
});

server('lets tests expire tokens', async () => {
  const r = await post({ grant_type: 'client_credentials' }, basic('autoscaler_logcache', 'secret'));
  const header = `bearer ${String(r.body['access_token'])}`;
  uaa.registry.expire();
  assert.is(uaa.registry.check(header), 'expired');
  assert.is(uaa.registry.check('bearer forged'), 'invalid');
  assert.is(uaa.registry.check(undefined), 'invalid');
});

server.run();
