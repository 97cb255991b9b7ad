import { errorGuard } from '../../core/error-guard.ts';

/**
 * A token could not be obtained from UAA. `detail` is the reason alone (for wrapping, e.g.
 * "failed to refresh token after 401: <detail>"); `message` is `failed to refresh token: <detail>`.
 */
export class TokenRequestError extends Error {
  override readonly name = 'TokenRequestError' as const;
  readonly code = 'UAA_TOKEN' as const;
  readonly detail: string;
  readonly tokenUrl: string;
  readonly status: number | undefined;
  readonly uaaError: string | undefined;

  constructor(
    detail: string,
    context: { tokenUrl: string; status?: number; uaaError?: string | undefined; cause?: unknown },
  ) {
    super(`failed to refresh token: ${detail}`, { cause: context.cause });
    this.detail = detail;
    this.tokenUrl = context.tokenUrl;
    this.status = context.status;
    this.uaaError = context.uaaError;
  }
}

export const isTokenRequestError = errorGuard(TokenRequestError);
