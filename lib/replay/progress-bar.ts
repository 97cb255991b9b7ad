import type { WriteStream } from 'node:tty';

export interface ProgressBar {
  /** fraction in [0, 1]; redraws at most every 100 ms. */
  update(fraction: number, label: string): void;
  done(): void;
}

const WIDTH = 30;

/** A one-line progress bar on a terminal; does nothing when the stream is not a TTY. */
export const createProgressBar = (
  stream: NodeJS.WriteStream | WriteStream,
  wallNow: () => number = Date.now,
): ProgressBar => {
  if (!stream.isTTY) return { update() {}, done() {} };
  let last = 0;
  let shown = false;
  const draw = (fraction: number, label: string) => {
    const f = Math.min(1, Math.max(0, fraction));
    const filled = Math.round(f * WIDTH);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${(f * 100).toFixed(0).padStart(3)}% ${label}`;
    stream.write(`\r${line.slice(0, Math.max(10, (stream.columns ?? 80) - 1))}\u001b[K`);
    shown = true;
  };
  return {
    update(fraction, label) {
      const t = wallNow();
      if (t - last < 100) return;
      last = t;
      draw(fraction, label);
    },
    done() {
      if (shown) stream.write('\r\u001b[K');
    },
  };
};
