import { formatUtc } from '../tools/report/format-time.ts';
import type { ReplayProgress } from './replay-types.ts';

export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

/** One progress line on a stream: the newest state is shown at each tick. */
export interface ProgressLine<T> {
  /** The newest state; shown at the next tick. */
  update(state: T): void;
  /** Stops the ticks and clears a terminal line. */
  done(): void;
}

export interface ProgressLineOptions {
  /** ms since the process started (performance.now()). */
  readonly now?: () => number;
  readonly everyMs?: number;
}

const WIDTH = 20;

const bar = (fraction: number) => {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}]`;
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** 1234567 as 1,234,567 (toLocaleString would load the locale data, a noticeable part of a short replay). */
const count = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** What the replay has done so far, in one line. */
export const progressText = (p: ReplayProgress | undefined, elapsedMs: number): string => {
  const elapsed = seconds(elapsedMs);
  if (!p || p.envelopes === 0) return `replay: reading the recording… ${elapsed}`;
  return `replay: ${bar(p.fraction)} ${count(p.envelopes)} envelopes, virtual time ${formatUtc(p.virtualNs)} UTC, ${count(p.scalingEvents)} scaling event${p.scalingEvents === 1 ? '' : 's'}, ${elapsed}`;
};

/** Where the policy lab stands: a fraction of its work and what it is doing. */
export interface LabProgress {
  readonly fraction: number;
  readonly label: string;
}

/** The policy lab's line: the replay of the recording, then one candidate after another. */
export const labProgressText = (p: LabProgress | undefined, elapsedMs: number): string =>
  p === undefined
    ? `lab: starting… ${seconds(elapsedMs)}`
    : `lab: ${bar(p.fraction)} ${p.label}, ${seconds(elapsedMs)}`;

/**
 * A progress line on stderr: a line at once, then one every second until done, so that a long run
 * never sits silent. A terminal gets one line redrawn in place; a pipe or a file gets a line per tick.
 */
export const startProgressLine = <T>(
  stream: ProgressStream,
  render: (state: T | undefined, elapsedMs: number) => string,
  options: ProgressLineOptions = {},
): ProgressLine<T> => {
  const now = options.now ?? (() => performance.now());
  let latest: T | undefined;
  let shown = false;
  let ended = false;
  const show = () => {
    const text = render(latest, now());
    if (stream.isTTY) stream.write(`\r${text.slice(0, Math.max(10, (stream.columns ?? 80) - 1))}\u001b[K`);
    else stream.write(`${text}\n`);
    shown = true;
  };
  show();
  const timer = setInterval(show, options.everyMs ?? 1000);
  timer.unref();
  return {
    update(state) {
      latest = state;
    },
    done() {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      if (shown && stream.isTTY) stream.write('\r\u001b[K');
    },
  };
};

/** The progress of a replay (see progressText). */
export const startReplayProgress = (
  stream: ProgressStream,
  options: ProgressLineOptions = {},
): ProgressLine<ReplayProgress> => startProgressLine(stream, progressText, options);

/** The closing line: what the user waited, from the start of the process, and when envelopes began. */
export const timingText = (endMs: number, firstEnvelopeMs: number | undefined): string =>
  `done in ${(endMs / 1000).toFixed(2)} s from start${firstEnvelopeMs === undefined ? '' : `; first envelope after ${(firstEnvelopeMs / 1000).toFixed(2)} s`}`;
