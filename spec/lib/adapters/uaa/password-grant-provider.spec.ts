import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createPasswordGrantProvider } from '../../../../lib/adapters/uaa/password-grant-provider.ts';
import { createLogCacheClient } from '../../../../lib/adapters/logcache/logcache-client.ts';
import { readBody, sendJson, startPeerServer } from '../../../../lib/tools/simulation/peer-server.ts';
import type { PeerServer } from '../../../../lib/tools/simulation/peer-server.ts';
import { NS_PER_MS } from '../../../../lib/core/time/ns.ts';
import { rejection } from '../../../support/rejection.ts';

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A scripted UAA: answers each token request with the next reply (the last one repeats). */
const fakeUaa = async (replies: Array<{ status: number; body: string }>) => {
  const seen: Seen[] = [];
  const server = await startPeerServer(async (req, res) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: await readBody(req) });
    const reply = replies[Math.min(seen.length, replies.length) - 1] ?? { status: 500, body: '' };
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(reply.body);
  });
  return { server, seen };
};

/** `expiresIn: null` leaves the field out. */
const tokenBody = (n: number, expiresIn: number | null = 3600): string =>
  JSON.stringify({
    access_token: `test-token-${n}`,
    token_type: 'bearer',
    ...(expiresIn === null ? {} : { expires_in: expiresIn }),
  });

/** A log-cache that records Authorization headers and answers with scripted statuses (200 = empty batch). */
const fakeLogCache = async (statuses: number[] = []) => {
  const auths: Array<string | undefined> = [];
  const server = await startPeerServer((req: IncomingMessage, res: ServerResponse) => {
    auths.push(req.headers.authorization);
    const status = statuses[auths.length - 1] ?? 200;
    if (status === 200) sendJson(res, 200, '{"envelopes":{"batch":[]}}');
    else {
      res.writeHead(status);
      res.end();
    }
  });
  return { server, auths };
};

const clientFor = (url: string, auth: ReturnType<typeof createPasswordGrantProvider>) =>
  createLogCacheClient({ url, auth, timeoutMs: 2000, retry: { limit: 0, initialMs: 10, maxMs: 10 }, concurrency: 20 });

const read = { startTime: 0n, endTime: 1n };

const servers: PeerServer[] = [];
const track = <T extends { server: PeerServer }>(x: T): T => {
  servers.push(x.server);
  return x;
};
const closeAll = async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
};

const options = (url: string, now: () => bigint = () => 0n) => ({
  url,
  clientId: 'cf',
  clientSecret: 'cf-secret',
  username: 'test-user',
  password: 'test-password',
  now,
});

// ---
const provider = suite('createPasswordGrantProvider');
provider.after.each(closeAll);

provider('sends the token request as a Basic-authenticated form post', async () => {
  const uaa = track(await fakeUaa([{ status: 200, body: tokenBody(1) }]));
  await createPasswordGrantProvider(options(uaa.server.url)).token();
  const [request] = uaa.seen;
  assert.is(request?.method, 'POST');
  assert.is(request?.path, '/oauth/token');
  assert.is(request?.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.is(request?.headers.authorization, `Basic ${Buffer.from('cf:cf-secret').toString('base64')}`);
  assert.equal(Object.fromEntries(new URLSearchParams(request?.body)), {
    grant_type: 'password',
    username: 'test-user',
    password: 'test-password',
  });
});

provider('appends /oauth/token once, whatever the URL ends with', async () => {
  const uaa = track(await fakeUaa([{ status: 200, body: tokenBody(1) }]));
  for (const url of [uaa.server.url, `${uaa.server.url}/`, `${uaa.server.url}/oauth/token`]) {
    await createPasswordGrantProvider(options(url)).token();
  }
  assert.equal(
    uaa.seen.map((s) => s.path),
    ['/oauth/token', '/oauth/token', '/oauth/token'],
  );
});

provider('defaults the client to cf with an empty secret', async () => {
  const uaa = track(await fakeUaa([{ status: 200, body: tokenBody(1) }]));
  await createPasswordGrantProvider({ url: uaa.server.url, username: 'u', password: 'p', now: () => 0n }).token();
  assert.is(uaa.seen[0]?.headers.authorization, 'Basic Y2Y6');
});

provider('reuses one token for five log-cache requests', async () => {
  const uaa = track(await fakeUaa([{ status: 200, body: tokenBody(1, 3600) }]));
  const logCache = track(await fakeLogCache());
  const client = clientFor(logCache.server.url, createPasswordGrantProvider(options(uaa.server.url)));
  for (let i = 0; i < 5; i += 1) await client.read('app', read);
  assert.is(uaa.seen.length, 1);
  assert.equal(logCache.auths, Array(5).fill('Bearer test-token-1'));
});

provider('refreshes a 31-second token after 1 s', async () => {
  const uaa = track(
    await fakeUaa([
      { status: 200, body: tokenBody(1, 31) },
      { status: 200, body: tokenBody(2, 31) },
    ]),
  );
  let clock = 1_000_000n * NS_PER_MS;
  const auth = createPasswordGrantProvider(options(uaa.server.url, () => clock));
  assert.is(await auth.token(), 'Bearer test-token-1');
  clock += 900n * NS_PER_MS;
  assert.is(await auth.token(), 'Bearer test-token-1');
  clock += 200n * NS_PER_MS;
  assert.is(await auth.token(), 'Bearer test-token-2');
  assert.is(uaa.seen.length, 2);
});

provider('retries once with a new token after a 401', async () => {
  const uaa = track(
    await fakeUaa([
      { status: 200, body: tokenBody(1) },
      { status: 200, body: tokenBody(2) },
    ]),
  );
  const logCache = track(await fakeLogCache([401, 200]));
  const result = await clientFor(logCache.server.url, createPasswordGrantProvider(options(uaa.server.url))).read(
    'app',
    read,
  );
  assert.equal(result, { envelopes: [], rejected: [] });
  assert.is(uaa.seen.length, 2);
  assert.equal(logCache.auths, ['Bearer test-token-1', 'Bearer test-token-2']);
});

provider('fails when the second attempt is rejected too', async () => {
  const uaa = track(
    await fakeUaa([
      { status: 200, body: tokenBody(1) },
      { status: 200, body: tokenBody(2) },
    ]),
  );
  const logCache = track(await fakeLogCache([401, 401]));
  const err = await rejection(
    clientFor(logCache.server.url, createPasswordGrantProvider(options(uaa.server.url))).read('app', read),
  );
  assert.match(err.message, /unexpected status code 401/);
  assert.is(logCache.auths.length, 2);
});

provider('fails with "failed to refresh token" when UAA answers 500', async () => {
  const uaa = track(await fakeUaa([{ status: 500, body: '' }]));
  const logCache = track(await fakeLogCache());
  const err = await rejection(
    clientFor(logCache.server.url, createPasswordGrantProvider(options(uaa.server.url))).read('app', read),
  );
  assert.is(err.message, 'failed to refresh token: token request failed with status 500');
  assert.is(logCache.auths.length, 0);
});

provider('names the UAA error and description', async () => {
  const uaa = track(
    await fakeUaa([{ status: 401, body: '{"error":"invalid_client","error_description":"Bad credentials"}' }]),
  );
  const err = await rejection(createPasswordGrantProvider(options(uaa.server.url)).token());
  assert.is(
    err.message,
    'failed to refresh token: token request failed with status 401: invalid_client - Bad credentials',
  );
});

provider('fails with "failed to refresh token" on a malformed token reply', async () => {
  const uaa = track(await fakeUaa([{ status: 200, body: '{invalid json}' }]));
  const err = await rejection(createPasswordGrantProvider(options(uaa.server.url)).token());
  assert.match(err.message, /^failed to refresh token: token response is not a JSON object/);
});

provider('fails when UAA cannot be reached', async () => {
  const closed = await startPeerServer(() => undefined);
  await closed.close();
  const err = await rejection(createPasswordGrantProvider(options(closed.url)).token());
  assert.match(err.message, /^failed to refresh token: POST http:\/\/127\.0\.0\.1:\d+\/oauth\/token failed/);
});

provider('shares one token fetch among ten concurrent requests', async () => {
  const uaa = track(await fakeUaa([{ status: 200, body: tokenBody(1) }]));
  const logCache = track(await fakeLogCache());
  const client = clientFor(logCache.server.url, createPasswordGrantProvider(options(uaa.server.url)));
  const results = await Promise.all(Array.from({ length: 10 }, () => client.read('app', read)));
  assert.is(results.length, 10);
  assert.is(uaa.seen.length, 1);
  assert.ok(logCache.auths.every((a) => a === 'Bearer test-token-1'));
  assert.is(logCache.auths.length, 10);
});

provider('rejects a zero or missing expires_in', async () => {
  for (const body of [tokenBody(1, 0), tokenBody(1, null)]) {
    const uaa = track(await fakeUaa([{ status: 200, body }]));
    const err = await rejection(createPasswordGrantProvider(options(uaa.server.url)).token());
    assert.is(err.message, 'failed to refresh token: token response contained invalid expires_in: 0');
  }
});

provider('rejects an empty access_token', async () => {
  const uaa = track(await fakeUaa([{ status: 200, body: '{"access_token":"","expires_in":3600}' }]));
  const err = await rejection(createPasswordGrantProvider(options(uaa.server.url)).token());
  assert.is(err.message, 'failed to refresh token: token response contained empty access_token');
});

provider('reports a failed refresh after a rejection with the rejecting status', async () => {
  const uaa = track(
    await fakeUaa([
      { status: 200, body: tokenBody(1) },
      { status: 503, body: '' },
    ]),
  );
  const logCache = track(await fakeLogCache([401]));
  const err = await rejection(
    clientFor(logCache.server.url, createPasswordGrantProvider(options(uaa.server.url))).read('app', read),
  );
  assert.is(err.message, 'failed to refresh token after 401: token request failed with status 503');
});

provider('does not cache a failed fetch: the next call asks UAA again', async () => {
  const uaa = track(
    await fakeUaa([
      { status: 500, body: '' },
      { status: 200, body: tokenBody(7) },
    ]),
  );
  const auth = createPasswordGrantProvider(options(uaa.server.url));
  await rejection(auth.token());
  assert.is(await auth.token(), 'Bearer test-token-7');
});

provider.run();
