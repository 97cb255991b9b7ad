import type { Logger } from '../log/logger.ts';
import { accessTokenOf, numberField, postTokenRequest, stringField } from './post-token-request.ts';
import { createTokenCache } from './token-cache.ts';
import type { FetchedToken } from './token-cache.ts';
import { validUntil } from './token-lifetime.ts';
import type { FetchLike, TokenProvider } from './token-provider.ts';
import { TokenRequestError } from './token-request-error.ts';
import { passwordGrantTokenUrl, redactUrl } from './token-url.ts';

export interface PasswordGrantOptions {
  /** UAA base URL, or the full token URL (`…/oauth/token`). */
  readonly url: string;
  /** Defaults to CF's public client `cf` (docs/anchor-compatibility.md#change-reads). */
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly username: string;
  readonly password: string;
  /** Clock in ns, for token expiry. */
  readonly now: () => bigint;
  /** Per token request; the anchor uses 10 s. */
  readonly timeoutMs?: number;
  readonly fetch?: FetchLike | undefined;
  readonly logger?: Logger;
}

/**
 * UAA `password` grant (docs/anchor-compatibility.md#log-cache-auth): Basic client auth, form
 * `grant_type, username, password`, header `Bearer <access_token>`, token reused until `expires_in`
 * minus a buffer.
 */
export const createPasswordGrantProvider = (options: PasswordGrantOptions): TokenProvider => {
  const tokenUrl = passwordGrantTokenUrl(options.url);
  const clientId = options.clientId === undefined || options.clientId === '' ? 'cf' : options.clientId;
  const logUrl = redactUrl(tokenUrl);

  const fetchToken = async (): Promise<FetchedToken> => {
    const fetchedAt = options.now();
    const reply = await postTokenRequest({
      tokenUrl,
      basicAuth: { id: clientId, secret: options.clientSecret ?? '' },
      form: [
        ['grant_type', 'password'],
        ['username', options.username],
        ['password', options.password],
      ],
      timeoutMs: options.timeoutMs ?? 10_000,
      fetch: options.fetch,
    });
    if (reply.status !== 200) {
      const error = stringField(reply.body, 'error');
      const description = stringField(reply.body, 'error_description') ?? '';
      const detail =
        error === undefined
          ? `token request failed with status ${reply.status}`
          : `token request failed with status ${reply.status}: ${error} - ${description}`;
      throw new TokenRequestError(detail, {
        tokenUrl: logUrl,
        status: reply.status,
        uaaError: error,
      });
    }
    const accessToken = accessTokenOf(reply, logUrl);
    const expiresIn = Math.floor(numberField(reply.body, 'expires_in') ?? 0);
    if (expiresIn <= 0)
      throw new TokenRequestError(`token response contained invalid expires_in: ${expiresIn}`, {
        tokenUrl: logUrl,
        status: 200,
      });
    options.logger?.debug({ tokenUrl: logUrl, expiresIn }, 'fetched a password-grant token from UAA');
    return { header: `Bearer ${accessToken}`, validUntil: validUntil(fetchedAt, expiresIn) };
  };

  return createTokenCache({ now: options.now, fetchToken });
};
