/**
 * Bounds how many requests run at once. Waiters are served first come, first served; a waiter whose
 * signal aborts leaves the queue without taking a slot.
 */
export interface Semaphore {
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Tasks holding a slot now. */
  active(): number;
  /** Tasks waiting for a slot. */
  waiting(): number;
}

export const createSemaphore = (limit: number): Semaphore => {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`semaphore limit must be a positive integer, got ${limit}`);
  let held = 0;
  const queue: Array<() => void> = [];

  const acquire = (signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (held < limit) {
      held += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        held += 1;
        resolve();
      };
      const onAbort = (): void => {
        const i = queue.indexOf(grant);
        if (i >= 0) queue.splice(i, 1);
        reject(signal?.reason);
      };
      queue.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  };

  const release = (): void => {
    held -= 1;
    queue.shift()?.();
  };

  return {
    run: async (task, signal) => {
      await acquire(signal);
      try {
        return await task();
      } finally {
        release();
      }
    },
    active: () => held,
    waiting: () => queue.length,
  };
};
