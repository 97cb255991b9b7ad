import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanPath, createRouter, splitTarget } from '../../../../lib/adapters/http/router.ts';
import { sendBody } from '../../../../lib/adapters/http/responses.ts';
import { rawRequest, serve } from './test-server.ts';

// ---
const clean = suite('cleanPath');

clean('removes empty, dot and dot-dot segments and keeps a trailing slash', () => {
  assert.is(cleanPath(''), '/');
  assert.is(cleanPath('/'), '/');
  assert.is(cleanPath('//a//b'), '/a/b');
  assert.is(cleanPath('/a/./b/../c'), '/a/c');
  assert.is(cleanPath('/../a'), '/a');
  assert.is(cleanPath('/a/b/'), '/a/b/');
  assert.is(cleanPath('/a/..'), '/');
  assert.is(cleanPath('/a/../'), '/');
  assert.is(cleanPath('a/b'), '/a/b');
});

// ---
const split = suite('splitTarget');

split('splits origin-form and absolute-form targets', () => {
  assert.equal(splitTarget('/a/b?x=1&y'), { path: '/a/b', query: 'x=1&y' });
  assert.equal(splitTarget('/a'), { path: '/a', query: '' });
  assert.equal(splitTarget('http://h:1/p/q?z'), { path: '/p/q', query: 'z' });
  assert.equal(splitTarget(undefined), { path: '/', query: '' });
});

// ---
const router = suite('createRouter');

const echo = (label: string) => (_req: unknown, res: Parameters<typeof sendBody>[0]) =>
  sendBody(res, 200, 'text/plain', label);

router('sends prefix-mounted paths (string prefix) to the mount, routes first', async () => {
  const handler = createRouter({
    routes: [
      { method: 'GET', pattern: '/health/special', handle: (_q, res) => sendBody(res, 200, 'text/plain', 'route') },
    ],
    mounts: [{ prefix: '/health', handle: echo('mount') }],
  });
  const { port, close } = await serve(handler);
  try {
    assert.is((await rawRequest(port, 'GET', '/health/special')).body, 'route');
    assert.is((await rawRequest(port, 'GET', '/health')).body, 'mount');
    assert.is((await rawRequest(port, 'GET', '/healthz')).body, 'mount');
    assert.is((await rawRequest(port, 'POST', '/health/special')).body, 'mount');
    assert.is((await rawRequest(port, 'GET', '/other')).status, 404);
    assert.is((await rawRequest(port, 'GET', '/health//x')).status, 301);
  } finally {
    await close();
  }
});

router('answers a malformed percent-encoding with 400', async () => {
  const { port, close } = await serve(createRouter({ routes: [] }));
  try {
    const res = await rawRequest(port, 'GET', '/v1/%zz');
    assert.is(res.status, 400);
  } finally {
    await close();
  }
});

clean.run();
split.run();
router.run();
