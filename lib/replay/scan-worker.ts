/**
 * The scanning half of a replay's first reading (see aggregateOffThread): this thread reads,
 * decompresses and scans the recording and sends its envelopes and bad lines, in order, as
 * batches of columns (envelope-batches.ts) to the aggregation thread (aggregate-worker.ts), which
 * aggregates them meanwhile on the other core. It starts at once, before the aggregation thread
 * knows whether its cache will serve, with a small first batch; the other buffers are given it
 * once the aggregation thread takes its batches (a repeat replay reads the cache instead, and the
 * scanner has done little). Then it stays at most as many batches ahead as there are buffers,
 * which the aggregation thread hands back as it finishes each batch.
 */
import type { MessagePort } from 'node:worker_threads';
import { workerData } from 'node:worker_threads';
import { parseEnvelope } from '../core/envelope/parse-envelope.ts';
import { errorText } from '../core/error-text.ts';
import { createLineScanner } from '../tools/recording/line-scanner.ts';
import { readRecordingBlocks } from '../tools/recording/read-recording-lines.ts';
import { isRecordingError } from '../tools/recording/recording-error.ts';
import { BATCH_RECORDS, createBatchBuffers, createBatchEncoder } from './envelope-batches.ts';
import type { ScanWorkerData, ScanWorkerMessage } from './aggregate-worker-messages.ts';

const { path, maxIssues, port } = workerData as ScanWorkerData & { port: MessagePort };

/** Batches in flight or being filled: enough to keep both threads busy, few enough to bound memory. */
const BUFFER_SETS = 4;
/** The first batch's records: the aggregation, and the first output, start sooner. */
const FIRST_BATCH = 4096;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

const sets = Array.from({ length: BUFFER_SETS }, createBatchBuffers);
// The first is filled first; the aggregation thread hands over the others when it starts.
const free: number[] = [];
let returned: (() => void) | undefined;
port.on('message', (handedOver: number | readonly number[]) => {
  if (typeof handedOver === 'number') free.push(handedOver);
  else free.push(...handedOver);
  returned?.();
});
const nextBuffers = async (): Promise<number> => {
  while (free.length === 0)
    await new Promise<void>((resolve) => {
      returned = resolve;
    });
  returned = undefined;
  return free.pop()!;
};

const post = (message: ScanWorkerMessage) => port.postMessage(message);
post({ kind: 'buffers', sets });

const encoder = createBatchEncoder(sets, 0);
const progress = { bytesRead: 0, totalBytes: 0 };
let batches = 0;
const send = async (last: boolean) => {
  batches += 1;
  post(encoder.take(progress.bytesRead, last ? undefined : await nextBuffers()));
};

const scan = createLineScanner(parseEnvelope);
const position = { line: 0 };
let issues = 0;
try {
  for await (const block of readRecordingBlocks(path, progress, position)) {
    for (let start = 0; start < block.length; ) {
      const line = position.line + 1;
      // Most lines are read on the scanner's fast path, which finds their end itself and writes
      // their envelopes straight into the batch's columns.
      if (scan.probeInto(block, start, block.length, line, encoder)) {
        start = scan.probedEnd() + 1;
        position.line = line;
      } else {
        let end = block.indexOf(NEWLINE, start);
        if (end === -1) end = block.length;
        const entry = scan(block, start, end > start && block[end - 1] === CARRIAGE_RETURN ? end - 1 : end, line);
        start = end + 1;
        position.line = line;
        if (entry === undefined) continue;
        if (entry.ok) encoder.envelope(entry.envelope);
        else {
          issues += 1;
          // Past the ones shown, only counted.
          encoder.issue(entry.line, issues <= maxIssues ? entry.reason : undefined);
        }
      }
      if (encoder.full(batches === 0 ? FIRST_BATCH : BATCH_RECORDS)) await send(false);
    }
  }
  await send(true);
  post({ kind: 'end' });
} catch (err) {
  // What was read before the failure is aggregated first.
  if (encoder.records() > 0) await send(true);
  const recording = isRecordingError(err) ? err : undefined;
  post({ kind: 'failed', message: errorText(err), line: recording?.line, recording: recording !== undefined });
}
