import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { pause, readBody, record, sendJson, startPeerServer } from './peer-server.ts';
import { createTokenRegistry } from './uaa-token-registry.ts';
import type { TokenRegistry } from './uaa-token-registry.ts';

export interface UaaClient {
  readonly id: string;
  readonly secret: string;
  readonly grants: ReadonlyArray<'client_credentials' | 'password'>;
  /** Scopes of user tokens (intersected with the user's), and authorities of client tokens. */
  readonly scopes?: readonly string[];
}

export interface UaaUser {
  readonly username: string;
  readonly password: string;
  readonly scopes?: readonly string[];
}

export interface UaaTokenRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
  readonly form: Readonly<Record<string, string>>;
  readonly status: number;
}

export interface UaaServerOptions {
  readonly port?: number;
  readonly host?: string;
  readonly clients: readonly UaaClient[];
  readonly users?: readonly UaaUser[];
  /** Token lifetime; defaults as cf-deployment: 43199 s for client tokens, 1199 s for user tokens. */
  readonly expiresInSecs?: number | ((grant: 'client_credentials' | 'password') => number);
  readonly registry?: TokenRegistry;
  readonly latencyMs?: number;
  /** Request log length kept (at least); default 10 000. */
  readonly keepRequests?: number;
}

export interface UaaServer {
  readonly url: string;
  readonly registry: TokenRegistry;
  /** Token requests in arrival order, the newest `keepRequests` at least (secrets included: it is a test log). */
  readonly requests: UaaTokenRequest[];
  close(): Promise<void>;
}

const badCredentials = { error: 'invalid_client', error_description: 'Bad credentials' };
const challenge = {
  'www-authenticate': 'Basic realm="UAA/client", error="unauthorized", error_description="Bad credentials"',
};

const basicCredentials = (req: IncomingMessage): { id: string; secret: string } | undefined => {
  const match = /^basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
};

/**
 * Simulated UAA `POST /oauth/token` (docs/anchor-compatibility.md#wire-uaa) for the
 * `client_credentials` and `password` grants, with UAA's status codes and error bodies. Issued
 * tokens go into `registry`, which the simulated log-cache checks.
 */
export const startUaaServer = async (options: UaaServerOptions): Promise<UaaServer> => {
  const registry = options.registry ?? createTokenRegistry();
  const requests: UaaTokenRequest[] = [];
  const lifetime = (grant: 'client_credentials' | 'password'): number =>
    typeof options.expiresInSecs === 'function'
      ? options.expiresInSecs(grant)
      : (options.expiresInSecs ?? (grant === 'password' ? 1199 : 43199));

  const server = await startPeerServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://uaa').pathname;
    const body = await readBody(req);
    const form = Object.fromEntries(new URLSearchParams(body));
    const answer = (status: number, reply: unknown, headers: Record<string, string> = {}): void => {
      record(
        requests,
        {
          method: req.method ?? '',
          path,
          contentType: req.headers['content-type'],
          authorization: req.headers.authorization,
          form,
          status,
        },
        options.keepRequests ?? 10_000,
      );
      sendJson(res, status, JSON.stringify(reply), headers);
    };
    await pause(options.latencyMs ?? 0);
    if (path !== '/oauth/token') return answer(404, { error: 'not_found', error_description: `No endpoint ${path}` });
    if (req.method !== 'POST')
      return answer(405, {
        error: 'method_not_allowed',
        error_description: `Request method '${req.method}' is not supported`,
      });

    const credentials =
      basicCredentials(req) ??
      (form['client_id'] === undefined ? undefined : { id: form['client_id'], secret: form['client_secret'] ?? '' });
    const client = options.clients.find((c) => c.id === credentials?.id);
    if (!credentials || !client || client.secret !== credentials.secret) return answer(401, badCredentials, challenge);

    const grantType = form['grant_type'];
    if (grantType === undefined)
      return answer(400, { error: 'invalid_request', error_description: 'Missing grant type' });
    if (grantType !== 'client_credentials' && grantType !== 'password') {
      return answer(400, {
        error: 'unsupported_grant_type',
        error_description: `Unsupported grant type: ${grantType}`,
      });
    }
    if (!client.grants.includes(grantType))
      return answer(401, { error: 'invalid_client', error_description: `Unauthorized grant type: ${grantType}` });

    let scopes = client.scopes ?? [];
    let userName: string | undefined;
    if (grantType === 'password') {
      const user = options.users?.find((u) => u.username === form['username']);
      // UAA answers a wrong user password with 401 as well, not 400 invalid_grant
      // (docs/anchor-compatibility.md#wire-uaa).
      if (!user || user.password !== form['password']) return answer(401, badCredentials, challenge);
      userName = user.username;
      if (user.scopes) scopes = scopes.filter((s) => user.scopes?.includes(s));
    }
    const expiresIn = lifetime(grantType);
    const issued = registry.issue({ clientId: client.id, grantType, scopes, userName, expiresInSecs: expiresIn });
    return answer(200, {
      access_token: issued.accessToken,
      token_type: 'bearer',
      refresh_token: grantType === 'password' ? `${randomUUID().replaceAll('-', '')}-r` : undefined,
      expires_in: expiresIn,
      scope: scopes.join(' '),
      jti: issued.jti,
    });
  }, options);

  return { url: server.url, registry, requests, close: server.close };
};
