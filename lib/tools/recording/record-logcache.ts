import type { EnvelopeRead } from '../../core/model/envelope.ts';
import type { Logger } from '../../adapters/log/logger.ts';
import type { Envelope } from '../../core/model/envelope.ts';
import { msToNs } from '../../core/time/ns.ts';
import { encodeEnvelopeLine } from '../../core/envelope/envelope-json.ts';

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
}

export interface RecordStats {
  envelopes: number;
  rejected: number;
  polls: number;
  failedReads: number;
}

const byTimestamp = (a: Envelope, b: Envelope) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0);

/**
 * Polls log-cache for the apps' envelopes until the window is covered, and writes them in time
 * order. Each app has its own cursor: a failed read is retried from the same point on the next poll,
 * and envelopes are held back until every app has been read past them, so the file stays ordered.
 */
export const recordFromLogCache = async (options: RecordOptions): Promise<RecordStats> => {
  const stats: RecordStats = { envelopes: 0, rejected: 0, polls: 0, failedReads: 0 };
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
    for (const [app, cursor] of cursors) {
      if (cursor >= target) continue;
      try {
        const page = await options.read(app, {
          startTime: cursor,
          endTime: target,
          envelopeTypes: options.envelopeTypes,
        });
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
        options.logger.warn({ app, err }, 'log-cache read failed; the same window is read again next poll');
      }
    }
    // biome-ignore lint/complexity/useMathMinMax: bigint nanoseconds; Math.min takes numbers only
    const covered = [...cursors.values()].reduce((min, c) => (c < min ? c : min), options.toNs);
    await release(covered);
    options.onPoll?.(stats);
    if (covered >= options.toNs) return stats;
    await options.sleep(options.pollIntervalMs);
  }
};
