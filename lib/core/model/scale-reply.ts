/**
 * The outcome of one trigger sent to the scaling engine
 * (docs/anchor-compatibility.md#scaling-engine). `ok` is what the breaker counts: false is a
 * failure.
 */
export type ScaleReply =
  | {
      readonly ok: true;
      readonly status: number;
      /** ns; absent when the reply had no (or a null) `cool_down_expired_at`, 0n when it said 0. */
      readonly cooldownExpiredAt?: bigint;
      /** new instances - old instances. */
      readonly adjustment?: number;
      /** The scaling engine's own result: 0 succeeded, 1 failed, 2 ignored. */
      readonly scalingStatus?: number;
    }
  | { readonly ok: false; readonly status?: number; readonly error: string };
