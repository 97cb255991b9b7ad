import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { IncomingMessage } from 'node:http';
import { createClientCredentialsProvider } from '../../../../lib/adapters/uaa/client-credentials-provider.ts';
import { createLogCacheClient } from '../../../../lib/adapters/logcache/logcache-client.ts';
import { readBody, sendJson, startPeerServer } from '../../../../lib/tools/simulation/peer-server.ts';
import type { PeerServer } from '../../../../lib/tools/simulation/peer-server.ts';
import { startUaaServer } from '../../../../lib/tools/simulation/uaa-server.ts';
import { NS_PER_SECOND } from '../../../../lib/core/time/ns.ts';
import { rejection } from '../../../support/rejection.ts';

interface Seen {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const servers: Array<{ close(): Promise<void> }> = [];
const closeAll = async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
};

const fakeUaa = async (reply: (n: number) => { status: number; body: string }) => {
  const seen: Seen[] = [];
  const server: PeerServer = await startPeerServer(async (req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers, body: await readBody(req) });
    const r = reply(seen.length);
    res.writeHead(r.status, { 'content-type': 'application/json' });
    res.end(r.body);
  });
  servers.push(server);
  return { url: server.url, seen };
};

const token = (n: number, extra: Record<string, unknown> = {}) => ({
  status: 200,
  body: JSON.stringify({ access_token: `cc-token-${n}`, token_type: 'bearer', ...extra }),
});

// ---
const cc = suite('createClientCredentialsProvider');
cc.after.each(closeAll);

cc('posts client_id and grant_type with raw Basic credentials, and reuses the token', async () => {
  const uaa = await fakeUaa(token);
  const auth = createClientCredentialsProvider({
    url: uaa.url,
    clientId: 'autoscaler_logcache',
    clientSecret: 's3cr+t',
    now: () => 0n,
  });
  assert.is(await auth.token(), 'bearer cc-token-1');
  assert.is(await auth.token(), 'bearer cc-token-1');
  assert.is(uaa.seen.length, 1);
  assert.is(uaa.seen[0]?.path, '/oauth/token');
  assert.is(uaa.seen[0]?.body, 'client_id=autoscaler_logcache&grant_type=client_credentials');
  assert.is(
    uaa.seen[0]?.headers.authorization,
    `Basic ${Buffer.from('autoscaler_logcache:s3cr+t').toString('base64')}`,
  );
  assert.is(uaa.seen[0]?.headers['content-type'], 'application/x-www-form-urlencoded');
});

cc('replaces any path of the UAA URL by /oauth/token', async () => {
  const uaa = await fakeUaa(token);
  await createClientCredentialsProvider({
    url: `${uaa.url}/some/path?x=1`,
    clientId: 'c',
    clientSecret: 's',
    now: () => 0n,
  }).token();
  assert.is(uaa.seen[0]?.path, '/oauth/token');
});

cc('fails the poll after a 403 and fetches a new token for the next request', async () => {
  const uaa = await fakeUaa(token);
  const statuses = [200, 403, 200];
  const auths: Array<string | undefined> = [];
  const logCache = await startPeerServer((req, res) => {
    auths.push(req.headers.authorization);
    const status = statuses[auths.length - 1] ?? 200;
    if (status === 200) sendJson(res, 200, '{"envelopes":{"batch":[]}}');
    else {
      res.writeHead(status);
      res.end();
    }
  });
  servers.push(logCache);
  const auth = createClientCredentialsProvider({ url: uaa.url, clientId: 'c', clientSecret: 's', now: () => 0n });
  const client = createLogCacheClient({
    url: logCache.url,
    auth,
    timeoutMs: 2000,
    retry: { limit: 2, initialMs: 1, maxMs: 1 },
    concurrency: 1,
  });
  const window = { startTime: 0n, endTime: 1n };
  await client.read('app', window);
  const err = await rejection(client.read('app', window));
  assert.match(err.message, /unexpected status code 403/);
  await client.read('app', window);
  assert.equal(auths, ['bearer cc-token-1', 'bearer cc-token-1', 'bearer cc-token-2']);
  assert.is(uaa.seen.length, 2);
});

cc('refreshes before expires_in runs out, keeping the 30 s buffer', async () => {
  const uaa = await fakeUaa((n) => token(n, { expires_in: 100 }));
  let clock = 0n;
  const auth = createClientCredentialsProvider({ url: uaa.url, clientId: 'c', clientSecret: 's', now: () => clock });
  assert.is(await auth.token(), 'bearer cc-token-1');
  clock = 69n * NS_PER_SECOND;
  assert.is(await auth.token(), 'bearer cc-token-1');
  clock = 70n * NS_PER_SECOND;
  assert.is(await auth.token(), 'bearer cc-token-2');
});

cc('keeps a token without expires_in until it is rejected', async () => {
  const uaa = await fakeUaa(token);
  let clock = 0n;
  const auth = createClientCredentialsProvider({ url: uaa.url, clientId: 'c', clientSecret: 's', now: () => clock });
  const first = await auth.token();
  clock = 1_000_000n * NS_PER_SECOND;
  assert.is(await auth.token(), first);
  auth.invalidate(first);
  assert.is(await auth.token(), 'bearer cc-token-2');
});

cc('reports a non-200 reply with the anchor wording and the UAA error', async () => {
  const uaa = await fakeUaa(() => ({
    status: 401,
    body: '{"error":"invalid_client","error_description":"Bad credentials"}',
  }));
  const err = await rejection(
    createClientCredentialsProvider({ url: uaa.url, clientId: 'c', clientSecret: 'x', now: () => 0n }).token(),
  );
  assert.is(
    err.message,
    'failed to refresh token: unexpected status code from Oauth2 server 401: invalid_client - Bad credentials',
  );
  assert.is(err.name, 'TokenRequestError');
});

cc('gets a working token from the simulated UAA', async () => {
  const uaa = await startUaaServer({
    clients: [{ id: 'autoscaler_logcache', secret: 'secret', grants: ['client_credentials'], scopes: ['logs.admin'] }],
  });
  servers.push(uaa);
  const auth = createClientCredentialsProvider({
    url: uaa.url,
    clientId: 'autoscaler_logcache',
    clientSecret: 'secret',
    now: () => 0n,
  });
  const header = await auth.token();
  assert.match(header, /^bearer [\w-]+\.[\w-]+\.[\w-]+$/);
  assert.is(uaa.registry.check(header), 'ok');
});

cc.run();
