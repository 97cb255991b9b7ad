import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createTokenCache } from '../../../../lib/adapters/uaa/token-cache.ts';
import type { FetchedToken } from '../../../../lib/adapters/uaa/token-cache.ts';

const deferred = <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

// ---
const cache = suite('createTokenCache');

cache('lets concurrent callers share one fetch', async () => {
  const pending = deferred<FetchedToken>();
  let fetches = 0;
  const tokens = createTokenCache({
    now: () => 0n,
    fetchToken: () => {
      fetches += 1;
      return pending.promise;
    },
  });
  const all = Promise.all([tokens.token(), tokens.token(), tokens.token()]);
  pending.resolve({ header: 'Bearer a', validUntil: 10n });
  assert.equal(await all, ['Bearer a', 'Bearer a', 'Bearer a']);
  assert.is(fetches, 1);
});

cache('refetches once the validity has passed', async () => {
  let clock = 0n;
  let n = 0;
  const tokens = createTokenCache({
    now: () => clock,
    fetchToken: async () => ({ header: `Bearer ${++n}`, validUntil: clock + 10n }),
  });
  assert.is(await tokens.token(), 'Bearer 1');
  clock = 9n;
  assert.is(await tokens.token(), 'Bearer 1');
  clock = 10n;
  assert.is(await tokens.token(), 'Bearer 2');
});

cache('drops only the token that was rejected', async () => {
  let n = 0;
  const tokens = createTokenCache({
    now: () => 0n,
    fetchToken: async () => ({ header: `Bearer ${++n}`, validUntil: undefined }),
  });
  const first = await tokens.token();
  tokens.invalidate(first);
  const second = await tokens.token();
  // A late rejection of the first token must not throw away its replacement.
  tokens.invalidate(first);
  assert.is(await tokens.token(), second);
  assert.is(n, 2);
});

cache('passes a fetch failure to every waiter and does not cache it', async () => {
  const pending = deferred<FetchedToken>();
  let calls = 0;
  const tokens = createTokenCache({
    now: () => 0n,
    fetchToken: () =>
      ++calls === 1 ? pending.promise : Promise.resolve({ header: 'Bearer ok', validUntil: undefined }),
  });
  const a = tokens.token().catch((e: Error) => e.message);
  const b = tokens.token().catch((e: Error) => e.message);
  pending.reject(new Error('uaa down'));
  assert.equal(await Promise.all([a, b]), ['uaa down', 'uaa down']);
  assert.is(await tokens.token(), 'Bearer ok');
});

cache.run();
