/**
 * Counts the promises a replay is waiting on (database reads), so the virtual clock can stop and let
 * them settle before time moves on: a result then lands at the same virtual instant on every run.
 */
export interface AsyncTracker {
  track<T>(work: Promise<T>): Promise<T>;
  pending(): number;
  /** Resolves once nothing tracked is pending, including work started while waiting. */
  settle(): Promise<void>;
}

// A macrotask turn lets the .then callbacks of settled work (Observable bridges) run first.
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const createAsyncTracker = (): AsyncTracker => {
  const inFlight = new Set<Promise<unknown>>();
  return {
    track(work) {
      const entry = work.finally(() => {
        inFlight.delete(entry);
      });
      inFlight.add(entry);
      // The caller handles rejection; the tracker's copy must not surface as unhandled.
      entry.catch(() => {});
      return work;
    },
    pending: () => inFlight.size,
    async settle() {
      while (inFlight.size > 0) {
        await Promise.allSettled([...inFlight]);
        await turn();
      }
    },
  };
};
