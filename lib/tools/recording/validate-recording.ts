import { readRecording } from './read-recording.ts';
import type { ReadRecordingOptions } from './read-recording.ts';

export interface RecordingIssue {
  readonly line: number;
  readonly reason: string;
}

export interface RecordingSummary {
  readonly envelopes: number;
  /** Envelopes per source id, in order of first appearance. */
  readonly sources: ReadonlyMap<string, number>;
  readonly firstTimestamp: bigint | undefined;
  readonly lastTimestamp: bigint | undefined;
  /** Envelopes older than one before them; a replay delivers these late, at the current time. */
  readonly outOfOrder: number;
  readonly firstOutOfOrderLine: number | undefined;
  /** Every rejected line up to `maxIssues`; `issueCount` counts them all. */
  readonly issues: readonly RecordingIssue[];
  readonly issueCount: number;
}

/** Reads a whole recording and reports what it holds and every line it cannot use. */
export const validateRecording = async (
  path: string,
  options: ReadRecordingOptions & { readonly maxIssues?: number },
): Promise<RecordingSummary> => {
  const maxIssues = options.maxIssues ?? 100;
  const sources = new Map<string, number>();
  const issues: RecordingIssue[] = [];
  let issueCount = 0;
  let envelopes = 0;
  let first: bigint | undefined;
  let last: bigint | undefined;
  let newest: bigint | undefined;
  let outOfOrder = 0;
  let firstOutOfOrderLine: number | undefined;
  for await (const entry of readRecording(path, options)) {
    if (!entry.ok) {
      issueCount += 1;
      if (issues.length < maxIssues) issues.push({ line: entry.line, reason: entry.reason });
      continue;
    }
    const { envelope } = entry;
    envelopes += 1;
    sources.set(envelope.sourceId, (sources.get(envelope.sourceId) ?? 0) + 1);
    if (first === undefined || envelope.timestamp < first) first = envelope.timestamp;
    if (last === undefined || envelope.timestamp > last) last = envelope.timestamp;
    if (newest !== undefined && envelope.timestamp < newest) {
      outOfOrder += 1;
      firstOutOfOrderLine ??= entry.line;
    } else {
      newest = envelope.timestamp;
    }
  }
  return {
    envelopes,
    sources,
    firstTimestamp: first,
    lastTimestamp: last,
    outOfOrder,
    firstOutOfOrderLine,
    issues,
    issueCount,
  };
};

/** One line per issue, `line N: reason`, the form operators see on the terminal. */
export const formatIssues = (issues: readonly RecordingIssue[]): string[] =>
  issues.map((i) => `line ${i.line}: ${i.reason}`);
