/** A source of log-cache credentials, shared by every request of one client. */
export interface TokenProvider {
  /** The full `Authorization` header value (`Bearer eyJ…`), fetched or refreshed when needed. */
  token(): Promise<string>;
  /** Drops the cached token if it is still `rejected`, so the next `token()` fetches a fresh one. */
  invalidate(rejected: string): void;
}

/** A `fetch`-compatible function; lets callers route UAA calls through an mTLS or skip-ssl agent. */
export type FetchLike = (input: Request | URL | string, init?: RequestInit) => Promise<Response>;
