import { errorTextWithCauses } from '../../core/error-text.ts';

export type RlpStreamFailure = 'status' | 'transport' | 'auth' | 'idle' | 'not-a-stream';

/**
 * An RLP gateway stream that could not be opened or broke. `status` carries the gateway's answer
 * (its `error` code and `message` when the body has them), so a 404 (token or source ids refused),
 * 400 (bad query) and 503 (streaming unavailable) read differently in the log.
 */
export class RlpStreamError extends Error {
  override readonly name = 'RlpStreamError' as const;
  readonly code = 'RLP_STREAM' as const;
  readonly failure: RlpStreamFailure;
  /** HTTP status, for `status` failures. */
  readonly status: number | undefined;
  /** What the request names: gateway, path and how many source ids (never the token). */
  readonly target: string;

  constructor(
    failure: RlpStreamFailure,
    target: string,
    detail: string,
    context: { status?: number | undefined; cause?: unknown } = {},
  ) {
    const cause = context.cause === undefined ? '' : `: ${errorTextWithCauses(context.cause)}`;
    super(`RLP gateway ${target} ${detail}${cause}`, { cause: context.cause });
    this.failure = failure;
    this.status = context.status;
    this.target = target;
  }
}

/** The gateway's error body, `{"message":"…","error":"…"}` (sent as text/plain), as one phrase. */
export const gatewayErrorText = (body: string): string => {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === 'object') {
      const { error, message } = parsed as { error?: unknown; message?: unknown };
      if (typeof error === 'string' || typeof message === 'string')
        return [error, message].filter((p) => typeof p === 'string' && p !== '').join(': ');
    }
  } catch {
    // Not the gateway's JSON: the text itself says more than a parse error would.
  }
  const text = body.trim();
  return text === '' ? 'empty body' : text.slice(0, 200);
};
