import ky from 'ky';
import type { FetchLike } from './token-provider.ts';
import { TokenRequestError } from './token-request-error.ts';
import { redactUrl } from './token-url.ts';
import { errorTextWithCauses } from '../../core/error-text.ts';

export interface TokenReply {
  readonly status: number;
  /** The parsed JSON body, or undefined when it was not JSON. */
  readonly body: unknown;
  readonly text: string;
}

/**
 * POSTs a form to the UAA token endpoint. Never retried: a 4xx from UAA will not change on retry,
 * and the caller's next poll asks again (docs/anchor-compatibility.md#wire-uaa). Transport failures
 * become TokenRequestError.
 */
export const postTokenRequest = async (request: {
  tokenUrl: string;
  basicAuth: { id: string; secret: string };
  form: ReadonlyArray<readonly [string, string]>;
  timeoutMs: number;
  fetch?: FetchLike | undefined;
}): Promise<TokenReply> => {
  const body = new URLSearchParams(request.form.map(([k, v]): [string, string] => [k, v])).toString();
  const credentials = Buffer.from(`${request.basicAuth.id}:${request.basicAuth.secret}`).toString('base64');
  try {
    const response = await ky.post(request.tokenUrl, {
      body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        authorization: `Basic ${credentials}`,
      },
      timeout: request.timeoutMs,
      retry: 0,
      throwHttpErrors: false,
      fetch: request.fetch,
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed, text };
  } catch (cause) {
    const reason = errorTextWithCauses(cause);
    throw new TokenRequestError(`POST ${redactUrl(request.tokenUrl)} failed: ${reason}`, {
      tokenUrl: redactUrl(request.tokenUrl),
      cause,
    });
  }
};

/** A JSON object's string field, or undefined. */
export const stringField = (body: unknown, key: string): string | undefined => {
  if (body === null || typeof body !== 'object') return undefined;
  const v = (body as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
};

export const numberField = (body: unknown, key: string): number | undefined => {
  if (body === null || typeof body !== 'object') return undefined;
  const v = (body as Record<string, unknown>)[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};

/**
 * The access token of a 200 reply, both grants alike: the body must be a JSON object with a
 * non-empty `access_token`, otherwise a TokenRequestError says which. `logUrl` is already redacted.
 */
export const accessTokenOf = (reply: TokenReply, logUrl: string): string => {
  if (reply.body === undefined || reply.body === null || typeof reply.body !== 'object') {
    throw new TokenRequestError(`token response is not a JSON object: ${reply.text.slice(0, 100)}`, {
      tokenUrl: logUrl,
      status: 200,
    });
  }
  const accessToken = stringField(reply.body, 'access_token');
  if (!accessToken)
    throw new TokenRequestError('token response contained empty access_token', { tokenUrl: logUrl, status: 200 });
  return accessToken;
};
