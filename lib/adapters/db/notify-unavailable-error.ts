import { errorGuard } from '../../core/error-guard.ts';

/** Notifications on a channel did not arrive: never (the database does not deliver them) or no longer. */
export class NotifyUnavailableError extends Error {
  override name = 'NotifyUnavailableError' as const;
  readonly code = 'NOTIFY_UNAVAILABLE' as const;
  readonly channel: string;
  /** True when notifications had arrived before on this subscription (so this is an interruption). */
  readonly deliveredBefore: boolean;

  constructor(
    message: string,
    context: { readonly channel: string; readonly deliveredBefore: boolean; readonly cause?: unknown },
  ) {
    super(message, { cause: context.cause });
    this.channel = context.channel;
    this.deliveredBefore = context.deliveredBefore;
  }
}

export const isNotifyUnavailableError = errorGuard(NotifyUnavailableError);
