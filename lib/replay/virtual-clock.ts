import type { AsyncTracker } from './async-tracker.ts';
import { createVirtualScheduler } from './virtual-scheduler.ts';
import type { VirtualScheduler } from './virtual-scheduler.ts';

export interface VirtualClock {
  readonly scheduler: VirtualScheduler;
  /** The virtual time, ms since the epoch. */
  now(): number;
  /**
   * Runs the scheduled actions due before `limitMs` (or at it, when inclusive), one instant at a time,
   * letting tracked async work settle after each instant; then the clock reads at least `limitMs`.
   */
  runUntil(limitMs: number, inclusive: boolean): Promise<void>;
  /** When the next scheduled action is due, if any. */
  nextDue(): number | undefined;
  /**
   * Moves the clock to `limitMs` at once when nothing is due before it (the common case between two
   * envelopes) and returns true; otherwise returns false and leaves the stepping to runUntil.
   */
  skipTo(limitMs: number): boolean;
}

export interface VirtualClockOptions {
  /** The first instant, ms since the epoch (the recording's first timestamp). */
  readonly startMs: number;
  readonly tracker: AsyncTracker;
  /** Called before each instant runs; paced replays wait here for the wall clock. */
  readonly beforeInstant?: ((ms: number) => Promise<void> | void) | undefined;
}

/**
 * A virtual-time scheduler that starts at recording time, so `nowNs(scheduler)` reads as the
 * recording's own clock, advanced in steps instead of flushed at once. The stepping is what lets
 * envelopes be fed in from a file stream and database reads finish at a fixed virtual instant.
 */
export const createVirtualClock = (options: VirtualClockOptions): VirtualClock => {
  const scheduler = createVirtualScheduler(options.startMs);
  return {
    scheduler,
    now: () => scheduler.now(),
    nextDue: () => scheduler.nextDue(),
    skipTo(limitMs) {
      const due = scheduler.nextDue();
      if (due !== undefined && due < limitMs) return false;
      scheduler.advanceTo(limitMs);
      return true;
    },
    async runUntil(limitMs, inclusive) {
      for (
        let due = scheduler.nextDue();
        due !== undefined && (inclusive ? due <= limitMs : due < limitMs);
        due = scheduler.nextDue()
      ) {
        await options.beforeInstant?.(due);
        scheduler.runNextInstant();
        if (options.tracker.pending() > 0) await options.tracker.settle();
      }
      if (Number.isFinite(limitMs)) scheduler.advanceTo(limitMs);
    },
  };
};
