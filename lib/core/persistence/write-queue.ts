/**
 * A FIFO of rows waiting to be written. Removing from the front moves an offset instead of
 * shifting the array, so draining a long backlog stays linear.
 */
export interface WriteQueue<T> {
  readonly length: number;
  push(item: T): void;
  /** A copy of the first `n` items (fewer when the queue is shorter). */
  head(n: number): T[];
  /** Removes the first `n` items. */
  dropHead(n: number): void;
  /** Removes `n` items that follow the first `keep`, which stay first. */
  dropAfter(keep: number, n: number): void;
}

export const createWriteQueue = <T>(): WriteQueue<T> => {
  let items: T[] = [];
  let start = 0;

  const compact = (): void => {
    // Reclaim the dead prefix once it is most of the array.
    if (start > 1024 && start * 2 > items.length) {
      items = items.slice(start);
      start = 0;
    }
  };

  return {
    get length() {
      return items.length - start;
    },
    push(item) {
      items.push(item);
    },
    head(n) {
      return items.slice(start, start + n);
    },
    dropHead(n) {
      start = Math.min(start + n, items.length);
      if (start === items.length) {
        items = [];
        start = 0;
      } else compact();
    },
    dropAfter(keep, n) {
      const k = Math.min(keep, items.length - start);
      const count = Math.min(n, items.length - start - k);
      // Move the kept front forward over the dropped ones: O(keep), not O(length).
      for (let i = k - 1; i >= 0; i -= 1) items[start + count + i] = items[start + i]!;
      start += count;
      compact();
    },
  };
};
