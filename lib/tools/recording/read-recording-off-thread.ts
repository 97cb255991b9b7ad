import { Worker } from 'node:worker_threads';
import { createEntryBatchDecoder } from './entry-batch.ts';
import type { EntryWorkerMessage, EntryWorkerStart } from './entry-worker-messages.ts';
import type { RecordingEntry } from './parse-recording-line.ts';
import type { ReadProgress } from './read-recording-lines.ts';
import { RecordingError } from './recording-error.ts';

export interface OffThreadReadOptions {
  readonly progress?: ReadProgress;
  /** Entries per batch sent across. */
  readonly batchSize?: number;
  /** Batches the worker may have sent and the reader not yet taken. */
  readonly ahead?: number;
}

const WORKER_ENTRY = new URL('./entry-worker.ts', import.meta.url);

/**
 * Streams a recording's entries, as readRecording does (same lines, numbers and reasons, envelopes
 * parsed by parseEnvelope), but reads, decompresses and parses on a worker thread, so that the
 * caller's thread only rebuilds envelopes. Batches are yielded in order, each a lazy sequence of
 * entries. The worker stays a bounded number of batches ahead and ends when the caller stops early.
 */
export async function* readRecordingOffThread(
  path: string,
  options: OffThreadReadOptions = {},
): AsyncGenerator<Iterable<RecordingEntry>> {
  const start: EntryWorkerStart = { path, batchSize: options.batchSize ?? 1024 };
  const worker = new Worker(WORKER_ENTRY, { workerData: start });
  const decoder = createEntryBatchDecoder();
  const inbox: (EntryWorkerMessage | { kind: 'crashed'; err: Error })[] = [];
  let wake: (() => void) | undefined;
  const deliver = (message: (typeof inbox)[number]) => {
    inbox.push(message);
    wake?.();
  };
  worker.on('message', deliver);
  worker.on('error', (err) => deliver({ kind: 'crashed', err }));
  worker.on('exit', (code) =>
    deliver({ kind: 'crashed', err: new Error(`the recording reader thread exited (code ${code})`) }),
  );
  worker.postMessage(options.ahead ?? 128);
  try {
    for (;;) {
      while (inbox.length === 0)
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      wake = undefined;
      const message = inbox.shift()!;
      if (message.kind === 'end') return;
      if (message.kind === 'crashed')
        throw new RecordingError(`${path}: ${message.err.message}`, { path, cause: message.err });
      if (message.kind === 'failed') {
        if (message.recording)
          throw new RecordingError(message.message, {
            path,
            line: message.line,
          });
        throw new Error(message.message);
      }
      if (options.progress) options.progress.bytesRead = message.bytesRead;
      worker.postMessage(1);
      yield decoder.entries(message.batch);
    }
  } finally {
    await worker.terminate();
  }
}
