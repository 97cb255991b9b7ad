import type { Decision } from '../model/decision.ts';

/**
 * What the decision watcher follows: every Decision, plus the outcome of each log-cache read, so
 * that "no data" can name its cause.
 */
export type WatchInput =
  | Decision
  /**
   * A log-cache read of the app succeeded; `newestEnvelopeAt` is absent when it held no envelope,
   * `instances` counts the app instances that sent a gauge in it.
   */
  | {
      readonly kind: 'read';
      readonly at: bigint;
      readonly appId: string;
      readonly newestEnvelopeAt?: bigint;
      readonly instances?: number;
    }
  | {
      readonly kind: 'read-failed';
      readonly at: bigint;
      readonly appId: string;
      readonly metricType?: string;
      readonly error: string;
    };
