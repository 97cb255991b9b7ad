/**
 * The thread behind readRecordingOffThread: it reads, decompresses and parses the recording and
 * sends its entries as EntryBatches, at most as many batches ahead as the reader has granted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseEnvelope } from '../../core/envelope/parse-envelope.ts';
import { createEntryBatchEncoder } from './entry-batch.ts';
import { createKnownTagsParser } from './known-tags-parser.ts';
import type { EntryWorkerMessage, EntryWorkerStart } from './entry-worker-messages.ts';
import { recordingEntries } from './read-recording.ts';
import { readRecordingLines } from './read-recording-lines.ts';
import { isRecordingError } from './recording-error.ts';
import { errorText } from '../../core/error-text.ts';

const port = parentPort!;
const { path, batchSize } = workerData as EntryWorkerStart;
const post = (message: EntryWorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

let credit = 0;
let granted: (() => void) | undefined;
port.on('message', (more: number) => {
  credit += more;
  granted?.();
});
const waitForCredit = async () => {
  while (credit <= 0)
    await new Promise<void>((resolve) => {
      granted = resolve;
    });
  granted = undefined;
  credit -= 1;
};

const encoder = createEntryBatchEncoder();
const parseJson = createKnownTagsParser();
const progress = { bytesRead: 0, totalBytes: 0 };
const flush = async () => {
  await waitForCredit();
  const batch = encoder.take();
  post({ kind: 'batch', batch, bytesRead: progress.bytesRead }, [
    batch.ints.buffer as ArrayBuffer,
    batch.floats.buffer as ArrayBuffer,
    batch.bigs.buffer as ArrayBuffer,
  ]);
};

try {
  for await (const lines of readRecordingLines(path, progress)) {
    for (const entry of recordingEntries(lines, parseEnvelope, parseJson)) {
      encoder.add(entry);
      if (encoder.size() >= batchSize) await flush();
    }
  }
  if (encoder.size() > 0) await flush();
  post({ kind: 'end' });
} catch (err) {
  const recording = isRecordingError(err) ? err : undefined;
  post({
    kind: 'failed',
    message: errorText(err),
    line: recording?.line,
    recording: recording !== undefined,
  });
}
