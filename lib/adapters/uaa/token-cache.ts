import type { TokenProvider } from './token-provider.ts';

export interface FetchedToken {
  /** The full Authorization header value. */
  readonly header: string;
  /** Instant (ns) after which the token is refreshed before use; undefined = until rejected. */
  readonly validUntil: bigint | undefined;
}

/**
 * Caches one token and refreshes it at most once at a time: callers arriving while a fetch is in
 * flight share it (the double-checked refresh of docs/anchor-compatibility.md#log-cache-auth). A
 * failed fetch is not cached, so the next call tries again.
 */
export const createTokenCache = (deps: {
  now: () => bigint;
  fetchToken: () => Promise<FetchedToken>;
}): TokenProvider => {
  let current: FetchedToken | undefined;
  let inflight: Promise<string> | undefined;

  const usable = (t: FetchedToken | undefined): t is FetchedToken =>
    t !== undefined && (t.validUntil === undefined || deps.now() < t.validUntil);

  return {
    token: () => {
      if (usable(current)) return Promise.resolve(current.header);
      inflight ??= deps.fetchToken().then(
        (fetched) => {
          current = fetched;
          inflight = undefined;
          return fetched.header;
        },
        (err: unknown) => {
          inflight = undefined;
          throw err;
        },
      );
      return inflight;
    },
    // Only the rejected token is dropped: if a concurrent caller already replaced it, the newer
    // token stays and is reused instead of fetching again.
    invalidate: (rejected) => {
      if (current?.header === rejected) current = undefined;
    },
  };
};
