import type { SchedulerLike, Subscription } from 'rxjs';

export interface SliceOptions {
  /** Where work that ran out of time continues (a later macrotask), unless `later` is given. */
  readonly scheduler: SchedulerLike;
  /**
   * Runs `work` once pending I/O has been handled, without waiting for a timer (`setImmediate`);
   * returns a cancel. A timer of 0 ms lets the process sleep a millisecond between slices, and
   * on a busy machine much longer before it runs again.
   */
  readonly later?: ((work: () => void) => () => void) | undefined;
  /** Work done synchronously in one slice, at most about this long. */
  readonly budgetMs: number;
  /** A monotonic clock in ms to measure the slice with (`performance.now`). */
  readonly clock: () => number;
}

/**
 * One budget of synchronous work per event-loop turn, shared by every stage that takes a burst in
 * slices (see inSlices). Each stage with a budget of its own ran a full slice in the same turn as
 * the others: the cache intake and the evaluation of one aggregation tick held the event loop for
 * twice the budget, plus the scaling calls they started.
 */
export interface SliceBudget {
  /**
   * Whether the slice under way has used up the budget. Outside a continuation, the first ask of a
   * synchronous run opens a slice, and a microtask closes it.
   */
  spent(): boolean;
  /**
   * Runs `work` in a later slice, after the work that was already waiting; returns a cancel. All
   * waiting work shares one macrotask per slice, run in order until the budget is spent; the rest
   * waits for the next one.
   */
  later(work: () => void): () => void;
}

/** The share of a slice's budget that the time since the last slice may use up, so that every slice gets on. */
const MAX_CHARGE = 0.75;
/** Done entries kept at the head of the waiting list before it is copied without them. */
const COMPACT_AFTER = 256;

/**
 * ```
 * stage A:  (a1 a2 a3)   spent: later(A)          A's continuation runs first, then B's,
 * stage B:  (b1)         spent: later(B)          in one slice while the budget lasts
 * next slice:            A: a4 a5 | B: spent, waits for the slice after
 * ```
 *
 * A slice that continues waiting work counts the time since the last slice handed it over against
 * its budget, up to three quarters of it: the rest of that synchronous run (an aggregation tick
 * emits all its metrics before the first continuation), and the I/O callbacks in between (the
 * replies to the scaling calls the last slice made) held the event loop just as long, and a
 * continuation on setImmediate runs in the same turn of the event loop as the I/O before it, with
 * no timer run in between.
 */

export const createSliceBudget = (options: SliceOptions): SliceBudget => {
  let open = false;
  let start = 0;
  // Work waiting for a slice, from `head` on; a cancelled entry has no work left.
  let waiting: { work: (() => void) | undefined }[] = [];
  let head = 0;
  let live = 0;
  let cancelTurn: (() => void) | undefined;
  // When the last slice handed waiting work over to the next one.
  let handedOver = 0;
  const schedule =
    options.later ??
    ((work: () => void) => {
      const action: Subscription = options.scheduler.schedule(work);
      return () => action.unsubscribe();
    });

  const stopTurn = (): void => {
    cancelTurn?.();
    cancelTurn = undefined;
  };
  const openSlice = (): void => {
    start = options.clock();
    if (open) return;
    open = true;
    queueMicrotask(() => {
      open = false;
    });
  };
  const spent = (): boolean => {
    if (!open) openSlice();
    return options.clock() - start > options.budgetMs;
  };
  const turn = (): void => {
    cancelTurn = undefined;
    openSlice();
    // What ran since the last slice handed over (the rest of its synchronous run, I/O callbacks,
    // timers) held the event loop too, without a timer getting a turn in between.
    start -= Math.min(start - handedOver, options.budgetMs * MAX_CHARGE);
    // At least one piece of work per slice, so that every slice gets on.
    let ran = false;
    try {
      while (head < waiting.length && !(ran && spent())) {
        const entry = waiting[head]!;
        head += 1;
        const { work } = entry;
        if (work === undefined) continue;
        entry.work = undefined;
        live -= 1;
        ran = true;
        work();
      }
    } finally {
      // Also when a piece of work threw: the rest still gets its slices.
      handOver();
    }
  };
  const handOver = (): void => {
    if (live > 0) {
      handedOver = options.clock();
      cancelTurn ??= schedule(turn);
      // A burst that never quite ends must not keep every entry it ever made.
      if (head > COMPACT_AFTER) {
        waiting = waiting.slice(head);
        head = 0;
      }
    } else {
      // Work run in this slice may have asked for another, and did all it needed meanwhile.
      stopTurn();
      waiting = [];
      head = 0;
    }
  };
  const later = (work: () => void): (() => void) => {
    const entry = { work: work as (() => void) | undefined };
    waiting.push(entry);
    live += 1;
    if (cancelTurn === undefined) {
      handedOver = options.clock();
      cancelTurn = schedule(turn);
    }
    return () => {
      if (entry.work === undefined) return;
      entry.work = undefined;
      live -= 1;
      // Nothing else waits: no slice is needed.
      if (live === 0) stopTurn();
    };
  };
  return { spent, later };
};
