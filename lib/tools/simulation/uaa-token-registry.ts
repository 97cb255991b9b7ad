import { randomBytes, randomUUID } from 'node:crypto';
import { msToNs, NS_PER_SECOND } from '../../core/time/ns.ts';

export type TokenCheck = 'ok' | 'expired' | 'invalid';

export interface IssuedToken {
  readonly accessToken: string;
  readonly jti: string;
  /** ns */
  readonly expiresAt: bigint;
}

export interface TokenGrant {
  readonly clientId: string;
  readonly grantType: 'client_credentials' | 'password';
  readonly scopes: readonly string[];
  readonly userName?: string | undefined;
  readonly expiresInSecs: number;
}

/**
 * Tokens issued by the simulated UAA, checked by the simulated log-cache (one shared object, like
 * the JWT key both sides know in a real deployment). Tokens are JWT-shaped
 * (docs/anchor-compatibility.md#wire-uaa) with a random signature; validity is looked up here, not
 * verified cryptographically.
 */
export interface TokenRegistry {
  issue(grant: TokenGrant): IssuedToken;
  /** Checks an `Authorization` header value: `bearer <jwt>` (any case) or a bare token, as the auth proxy accepts. */
  check(authorization: string | undefined): TokenCheck;
  /** Makes one token (or every token) expire now, to exercise refresh paths. */
  expire(accessToken?: string): void;
  /** Number of tokens issued so far. */
  issuedCount(): number;
}

const base64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

export const createTokenRegistry = (options: { now?: () => bigint; issuer?: string } = {}): TokenRegistry => {
  const now = options.now ?? (() => msToNs(Date.now()));
  const issuer = options.issuer ?? 'https://uaa.simulated.invalid/oauth/token';
  const tokens = new Map<string, bigint>();
  let count = 0;

  return {
    issue: (grant) => {
      const issuedAt = now();
      const expiresAt = issuedAt + BigInt(Math.floor(grant.expiresInSecs)) * NS_PER_SECOND;
      const jti = randomUUID().replaceAll('-', '');
      const header = { alg: 'RS256', jku: issuer.replace(/\/oauth\/token$/, '/token_keys'), kid: 'key-1', typ: 'JWT' };
      const claims = {
        jti,
        sub: grant.userName ?? grant.clientId,
        scope: grant.scopes,
        client_id: grant.clientId,
        cid: grant.clientId,
        azp: grant.clientId,
        grant_type: grant.grantType,
        ...(grant.userName === undefined
          ? { authorities: grant.scopes }
          : { user_name: grant.userName, origin: 'uaa' }),
        iat: Number(issuedAt / NS_PER_SECOND),
        exp: Number(expiresAt / NS_PER_SECOND),
        iss: issuer,
        zid: 'uaa',
        aud: [grant.clientId],
      };
      const accessToken = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}.${base64url(randomBytes(32))}`;
      tokens.set(accessToken, expiresAt);
      count += 1;
      return { accessToken, jti, expiresAt };
    },
    check: (authorization) => {
      if (authorization === undefined) return 'invalid';
      const token = authorization.replace(/^bearer\s+/i, '').trim();
      const expiresAt = tokens.get(token);
      if (expiresAt === undefined) return 'invalid';
      return now() < expiresAt ? 'ok' : 'expired';
    },
    expire: (accessToken) => {
      const at = now();
      if (accessToken !== undefined) {
        if (tokens.has(accessToken)) tokens.set(accessToken, at);
        return;
      }
      for (const key of tokens.keys()) tokens.set(key, at);
    },
    issuedCount: () => count,
  };
};
