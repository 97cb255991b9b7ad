import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` every `everyMs` until it returns a value, or fails naming `what` after `timeoutMs`,
 * also when a probe itself never settles.
 */
export const until = async <T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
  everyMs = 200,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  const failure = () => new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
  for (;;) {
    const left = deadline - Date.now();
    const value = await bounded(what, Math.max(1, left), Promise.resolve(probe())).catch((err: unknown) => {
      if (Date.now() >= deadline) throw failure();
      throw err;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw failure();
    await sleep(everyMs);
  }
};

export { setTimeout as sleep } from 'node:timers/promises';

/** Settles like `promise`, or rejects naming `what` after `timeoutMs` (uvu has no time-outs of its own). */
export const bounded = <T>(what: string, timeoutMs: number, promise: Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs}ms: ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};
