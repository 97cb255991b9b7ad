import type { EnvelopeRead } from '../../core/model/envelope.ts';
import type { ReadOptions } from './read-params.ts';

/** log-cache refuses pages larger than this (docs/anchor-compatibility.md#wire-read). */
const MAX_PAGE_SIZE = 1000;

type ReadPage = (sourceId: string, options: ReadOptions) => Promise<EnvelopeRead>;

/**
 * Reads `[startTime, endTime)` completely by paging forward
 * (docs/anchor-compatibility.md#wire-read): log-cache returns the oldest envelopes first and at
 * most `limit` per page (more only to finish a run of equal timestamps), so the next page starts at
 * the last timestamp + 1. Stops at a short page or when the window is exhausted. Rejected envelopes
 * keep their position in the overall sequence.
 */
export const readAllPages = async (
  readPage: ReadPage,
  sourceId: string,
  options: ReadOptions,
): Promise<EnvelopeRead> => {
  const limit = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.trunc(options.limit ?? MAX_PAGE_SIZE)));
  const envelopes: EnvelopeRead['envelopes'] = [];
  const rejected: EnvelopeRead['rejected'] = [];
  let start = options.startTime;
  let seen = 0;
  while (start < options.endTime) {
    const page = await readPage(sourceId, { ...options, startTime: start, limit });
    for (const e of page.envelopes) envelopes.push(e);
    for (const r of page.rejected) rejected.push({ index: seen + r.index, reason: r.reason });
    const size = page.envelopes.length + page.rejected.length;
    seen += size;
    if (size < limit) break;
    let last: bigint | undefined;
    for (const e of page.envelopes) if (last === undefined || e.timestamp > last) last = e.timestamp;
    if (last === undefined || last < start) {
      // Without a readable timestamp at or after `start` there is no safe next page: say so rather
      // than loop or silently stop.
      rejected.push({
        index: seen,
        reason: `paging stopped at start_time ${start}: a full page had no envelope timestamp at or after it`,
      });
      break;
    }
    start = last + 1n;
  }
  return { envelopes, rejected };
};
