import type { Logger } from '../log/logger.ts';
import { accessTokenOf, numberField, postTokenRequest, stringField } from './post-token-request.ts';
import { createTokenCache } from './token-cache.ts';
import type { FetchedToken } from './token-cache.ts';
import { validUntil } from './token-lifetime.ts';
import type { FetchLike, TokenProvider } from './token-provider.ts';
import { TokenRequestError } from './token-request-error.ts';
import { clientCredentialsTokenUrl, redactUrl } from './token-url.ts';

export interface ClientCredentialsOptions {
  /** UAA URL; any path is replaced by `/oauth/token`. */
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Clock in ns, for token expiry. */
  readonly now: () => bigint;
  /** Per token request; the anchor uses 5 s. */
  readonly timeoutMs?: number;
  readonly fetch?: FetchLike | undefined;
  readonly logger?: Logger;
}

/**
 * UAA `client_credentials` grant with the request shape of
 * docs/anchor-compatibility.md#log-cache-auth: Basic auth with the raw id and secret, form
 * `client_id, grant_type`, header `<token_type> <access_token>`. Unlike the anchor it also honours
 * `expires_in` (same buffer rule as the password grant), so a token is refreshed before log-cache
 * starts answering 404 for it.
 */
export const createClientCredentialsProvider = (options: ClientCredentialsOptions): TokenProvider => {
  const tokenUrl = clientCredentialsTokenUrl(options.url);
  const logUrl = redactUrl(tokenUrl);

  const fetchToken = async (): Promise<FetchedToken> => {
    const fetchedAt = options.now();
    const reply = await postTokenRequest({
      tokenUrl,
      basicAuth: { id: options.clientId, secret: options.clientSecret },
      form: [
        ['client_id', options.clientId],
        ['grant_type', 'client_credentials'],
      ],
      timeoutMs: options.timeoutMs ?? 5_000,
      fetch: options.fetch,
    });
    if (reply.status !== 200) {
      const error = stringField(reply.body, 'error');
      const description = stringField(reply.body, 'error_description');
      const why = error === undefined ? '' : `: ${error}${description === undefined ? '' : ` - ${description}`}`;
      throw new TokenRequestError(`unexpected status code from Oauth2 server ${reply.status}${why}`, {
        tokenUrl: logUrl,
        status: reply.status,
        uaaError: error,
      });
    }
    const accessToken = accessTokenOf(reply, logUrl);
    // UAA always names the type; `bearer` is what it would say if a proxy dropped the field.
    const tokenType = stringField(reply.body, 'token_type') || 'bearer';
    const expiresIn = Math.floor(numberField(reply.body, 'expires_in') ?? 0);
    options.logger?.debug({ tokenUrl: logUrl, expiresIn }, 'fetched a client-credentials token from UAA');
    return {
      header: `${tokenType} ${accessToken}`,
      validUntil: expiresIn > 0 ? validUntil(fetchedAt, expiresIn) : undefined,
    };
  };

  return createTokenCache({ now: options.now, fetchToken });
};
