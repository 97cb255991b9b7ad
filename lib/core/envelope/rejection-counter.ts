/** Counts rejected inputs by reason, for logs and health output. */
export interface RejectionCounter {
  record(reason: string): void;
  counts(): Record<string, number>;
  total(): number;
}

export const OTHER_REASONS = 'other reasons';

/**
 * Reasons can name producer-chosen keys (a tag, a custom metric), so distinct reasons are capped:
 * past `maxReasons` new reasons are counted under `OTHER_REASONS` and memory stays bounded.
 */
export const createRejectionCounter = (maxReasons = 100): RejectionCounter => {
  const byReason = new Map<string, number>();
  let total = 0;
  return {
    record(reason) {
      total += 1;
      const key = byReason.has(reason) || byReason.size < maxReasons ? reason : OTHER_REASONS;
      byReason.set(key, (byReason.get(key) ?? 0) + 1);
    },
    counts: () => Object.fromEntries(byReason),
    total: () => total,
  };
};
