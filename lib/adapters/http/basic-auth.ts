import bcrypt from 'bcryptjs';
import type { IncomingHttpHeaders } from 'node:http';

export interface BasicAuthConfig {
  readonly username: string;
  readonly password: string;
  readonly username_hash: string;
  readonly password_hash: string;
}

export interface BasicAuth {
  /** Whether any credential is configured; without one every request passes. */
  readonly enabled: boolean;
  check(headers: IncomingHttpHeaders): Promise<boolean>;
}

// The hashes of plain credentials live in memory next to the plain values, so a high cost buys nothing.
const PLAIN_HASH_COST = 4;

/** Go's Request.BasicAuth: a case-insensitive "Basic " prefix, padded base64, split at the first colon. */
export const parseBasicAuth = (
  header: string | undefined,
): { readonly username: string; readonly password: string } | undefined => {
  if (header?.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  const encoded = header.slice(6);
  if (encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
};

const matches = async (candidate: string, hash: string): Promise<boolean> => {
  if (hash === '') return false;
  try {
    return await bcrypt.compare(candidate, hash);
  } catch {
    return false;
  }
};

/**
 * Health-endpoint basic auth (docs/anchor-compatibility.md#health): plain credentials are
 * bcrypt-hashed once at start (bcrypt reads only the first 72 bytes, the same cut as the anchor),
 * hashes are used as given, and both the username and the password must match.
 */
export const createBasicAuth = (config: BasicAuthConfig): BasicAuth => {
  const enabled = [config.username, config.password, config.username_hash, config.password_hash].some((v) => v !== '');
  const hashOf = (plain: string, hash: string) => hash || (plain ? bcrypt.hashSync(plain, PLAIN_HASH_COST) : '');
  const usernameHash = hashOf(config.username, config.username_hash);
  const passwordHash = hashOf(config.password, config.password_hash);
  return {
    enabled,
    async check(headers) {
      if (!enabled) return true;
      const credentials = parseBasicAuth(headers.authorization);
      if (!credentials) return false;
      const [user, pass] = await Promise.all([
        matches(credentials.username, usernameHash),
        matches(credentials.password, passwordHash),
      ]);
      return user && pass;
    },
  };
};
