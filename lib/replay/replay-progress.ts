import { formatUtc } from '../tools/report/format-time.ts';
import type { ReplayProgress } from './replay-types.ts';

export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

export interface ReplayProgressLine {
  /** The newest state of the replay; shown at the next tick. */
  update(progress: ReplayProgress): void;
  /** Stops the ticks and clears a terminal line. */
  done(): void;
}

export interface ReplayProgressOptions {
  /** ms since the process started (performance.now()). */
  readonly now?: () => number;
  readonly everyMs?: number;
}

const WIDTH = 20;

/** 1234567 as 1,234,567 (toLocaleString would load the locale data, a noticeable part of a short replay). */
const count = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** What the replay has done so far, in one line. */
export const progressText = (p: ReplayProgress | undefined, elapsedMs: number): string => {
  const elapsed = `${(elapsedMs / 1000).toFixed(1)} s`;
  if (!p || p.envelopes === 0) return `replay: reading the recording… ${elapsed}`;
  const filled = Math.round(Math.min(1, Math.max(0, p.fraction)) * WIDTH);
  return `replay: [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${count(p.envelopes)} envelopes, virtual time ${formatUtc(p.virtualNs)} UTC, ${count(p.scalingEvents)} scaling event${p.scalingEvents === 1 ? '' : 's'}, ${elapsed}`;
};

/**
 * The progress of a replay on stderr: a line at once, then one every second until done, so that a
 * long replay never sits silent. A terminal gets one line redrawn in place; a pipe or a file gets
 * a line per tick.
 */
export const startReplayProgress = (
  stream: ProgressStream,
  options: ReplayProgressOptions = {},
): ReplayProgressLine => {
  const now = options.now ?? (() => performance.now());
  let latest: ReplayProgress | undefined;
  let shown = false;
  const show = () => {
    const text = progressText(latest, now());
    if (stream.isTTY) stream.write(`\r${text.slice(0, Math.max(10, (stream.columns ?? 80) - 1))}\u001b[K`);
    else stream.write(`${text}\n`);
    shown = true;
  };
  show();
  const timer = setInterval(show, options.everyMs ?? 1000);
  timer.unref();
  return {
    update(progress) {
      latest = progress;
    },
    done() {
      clearInterval(timer);
      if (shown && stream.isTTY) stream.write('\r\u001b[K');
    },
  };
};

/** The closing line: what the user waited, from the start of the process, and when envelopes began. */
export const timingText = (endMs: number, firstEnvelopeMs: number | undefined): string =>
  `done in ${(endMs / 1000).toFixed(2)} s from start${firstEnvelopeMs === undefined ? '' : `; first envelope after ${(firstEnvelopeMs / 1000).toFixed(2)} s`}`;
