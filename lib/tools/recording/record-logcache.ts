import type { EnvelopeRead } from '../../core/model/envelope.ts';
import type { Logger } from '../../adapters/log/logger.ts';
import type { Envelope } from '../../core/model/envelope.ts';
import { msToNs } from '../../core/time/ns.ts';
import { encodeEnvelopeLine } from '../../core/envelope/envelope-json.ts';
import { errorTextWithCauses } from '../../core/error-text.ts';

export interface RecordOptions {
  /** One whole window of one source (the log-cache client's `readAll`). */
  readonly read: (
    sourceId: string,
    window: { startTime: bigint; endTime: bigint; envelopeTypes: readonly string[] },
  ) => Promise<EnvelopeRead>;
  readonly apps: readonly string[];
  /** The recorded window [from, to), ns. */
  readonly fromNs: bigint;
  readonly toNs: bigint;
  readonly pollIntervalMs: number;
  /**
   * How far behind now each poll stays, for envelopes that reach log-cache late
   * (docs/anchor-compatibility.md#wire-read).
   */
  readonly lagMs: number;
  readonly envelopeTypes: readonly string[];
  readonly now: () => bigint;
  readonly sleep: (ms: number) => Promise<void>;
  readonly write: (line: string) => Promise<void>;
  readonly logger: Logger;
  readonly onPoll?: (stats: RecordStats) => void;
  /** Wall-clock end, ns: no poll starts and no read is awaited past it, whatever the peers do. */
  readonly deadlineNs: bigint;
  /** Consecutive polls in which every read failed before giving up (UAA or log-cache unreachable). */
  readonly maxFailedPolls: number;
}

export interface RecordStats {
  envelopes: number;
  rejected: number;
  polls: number;
  failedReads: number;
  /** Every app was read up to `toNs`; false when the deadline came first. */
  complete: boolean;
}

/** Log-cache (or UAA in front of it) failed every read for `maxFailedPolls` polls in a row. */
export class RecordGaveUpError extends Error {
  override readonly name = 'RecordGaveUpError' as const;
  readonly stats: RecordStats;
  constructor(message: string, stats: RecordStats, cause: unknown) {
    super(message, { cause });
    this.stats = stats;
  }
}

const TIMED_OUT = Symbol('deadline');

const byTimestamp = (a: Envelope, b: Envelope) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0);

/**
 * Polls log-cache for the apps' envelopes until the window is covered, and writes them in time
 * order. Each app has its own cursor: a failed read is retried from the same point on the next poll,
 * and envelopes are held back until every app has been read past them, so the file stays ordered.
 * It ends by `deadlineNs` whatever happens (a read still under way is left behind; `complete` tells),
 * and gives up with RecordGaveUpError when `maxFailedPolls` polls in a row read nothing at all.
 */
export const recordFromLogCache = async (options: RecordOptions): Promise<RecordStats> => {
  const stats: RecordStats = { envelopes: 0, rejected: 0, polls: 0, failedReads: 0, complete: false };
  let failedPolls = 0;
  const msLeft = () => Number((options.deadlineNs - options.now()) / 1_000_000n);
  /** The read, or TIMED_OUT when the deadline comes first. */
  const readBefore = async (...args: Parameters<RecordOptions['read']>) => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), Math.min(Math.max(0, msLeft()), 2 ** 31 - 1));
    });
    const read = options.read(...args);
    read.catch(() => {});
    try {
      return await Promise.race([read, deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
  const cursors = new Map(options.apps.map((app) => [app, options.fromNs] as const));
  let held: Envelope[] = [];
  const lagNs = msToNs(options.lagMs);

  const release = async (beforeNs: bigint) => {
    held.sort(byTimestamp);
    let cut = 0;
    while (cut < held.length && held[cut]!.timestamp < beforeNs) cut += 1;
    for (const envelope of held.slice(0, cut)) await options.write(encodeEnvelopeLine(envelope));
    stats.envelopes += cut;
    held = held.slice(cut);
  };

  for (;;) {
    // biome-ignore lint/complexity/useMathMinMax: bigint nanoseconds; Math.min takes numbers only
    const target = options.now() - lagNs < options.toNs ? options.now() - lagNs : options.toNs;
    stats.polls += 1;
    let succeeded = 0;
    let failed = 0;
    let lastError: unknown;
    for (const [app, cursor] of cursors) {
      if (cursor >= target) continue;
      if (msLeft() <= 0) break;
      try {
        const page = await readBefore(app, {
          startTime: cursor,
          endTime: target,
          envelopeTypes: options.envelopeTypes,
        });
        if (page === TIMED_OUT) break;
        succeeded += 1;
        held.push(...page.envelopes);
        stats.rejected += page.rejected.length;
        for (const r of page.rejected.slice(0, 5))
          options.logger.warn(
            { app, index: r.index, reason: r.reason },
            'envelope not recorded: log-cache sent one that cannot be read',
          );
        cursors.set(app, target);
      } catch (err) {
        stats.failedReads += 1;
        failed += 1;
        lastError = err;
        options.logger.warn(
          { app },
          `log-cache read failed (${errorTextWithCauses(err)}); the same window is read again next poll`,
        );
      }
    }
    failedPolls = failed > 0 && succeeded === 0 ? failedPolls + 1 : 0;
    // biome-ignore lint/complexity/useMathMinMax: bigint nanoseconds; Math.min takes numbers only
    const covered = [...cursors.values()].reduce((min, c) => (c < min ? c : min), options.toNs);
    await release(covered);
    options.onPoll?.(stats);
    if (covered >= options.toNs) return { ...stats, complete: true };
    if (failedPolls >= options.maxFailedPolls)
      throw new RecordGaveUpError(
        `gave up after ${failedPolls} poll(s) in a row without one successful read: ${errorTextWithCauses(lastError)}`,
        stats,
        lastError,
      );
    const wait = Math.min(options.pollIntervalMs, msLeft());
    if (wait <= 0) return stats;
    await options.sleep(wait);
  }
};
