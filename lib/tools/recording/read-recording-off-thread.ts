import { Worker } from 'node:worker_threads';
import { createEntryBatchDecoder } from './entry-batch.ts';
import type { CacheOutcome, EntryWorkerMessage, EntryWorkerStart } from './entry-worker-messages.ts';
import type { RecordingEntry } from './parse-recording-line.ts';
import { cachePath, contentHash, ensureCacheDir } from './parsed-recording-cache.ts';
import { RecordingError } from './recording-error.ts';

export type { CacheOutcome } from './entry-worker-messages.ts';

/** How far the reading has come (0 to 1), and, once done, how the cache served. */
export interface OffThreadProgress {
  fraction: number;
  cache?: CacheOutcome;
  /** Why a cache was not read or not written, when that is worth telling. */
  cacheNote?: string;
  /** CPU time of the reader thread, once done. */
  readerCpuMs?: number;
}

export interface OffThreadReadOptions {
  readonly progress?: OffThreadProgress;
  /** The directory of parsed-recording caches (see parsed-recording-cache.ts); none when absent. */
  readonly cacheDir?: string | undefined;
  /** Entries per batch sent across. */
  readonly batchSize?: number;
  /** Batches the worker may have sent and the reader not yet taken. */
  readonly ahead?: number;
}

const WORKER_ENTRY = new URL('./entry-worker.ts', import.meta.url);

/**
 * Streams a recording's entries, as readRecording does (same lines, numbers and reasons, envelopes
 * as parseEnvelope makes them), but reads, decompresses and scans on a worker thread, so that the
 * caller's thread only rebuilds envelopes. With a cache directory, the recording's parsed batches
 * are read from its cache when one was made from the same bytes, and written there otherwise.
 * Batches are yielded in order, each a lazy sequence of entries. The worker stays a bounded number
 * of batches ahead and ends when the caller stops early.
 */
export async function* readRecordingOffThread(
  path: string,
  options: OffThreadReadOptions = {},
): AsyncGenerator<Iterable<RecordingEntry>> {
  // Started first: it loads while the recording's bytes are hashed.
  const worker = new Worker(WORKER_ENTRY);
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
  try {
    let cache: Pick<EntryWorkerStart, 'cacheRead' | 'cacheWrite'> = {};
    if (options.cacheDir !== undefined) {
      const hash = await contentHash(path).catch(() => undefined);
      if (hash !== undefined) {
        const file = cachePath(options.cacheDir, hash);
        const writable = await ensureCacheDir(options.cacheDir).then(
          () => true,
          () => false,
        );
        cache = { cacheRead: file, ...(writable ? { cacheWrite: file } : {}) };
      }
    }
    const start: EntryWorkerStart = { kind: 'start', path, batchSize: options.batchSize ?? 4096, ...cache };
    worker.postMessage(start);
    worker.postMessage(options.ahead ?? 32);
    for (;;) {
      while (inbox.length === 0)
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      wake = undefined;
      const message = inbox.shift()!;
      if (message.kind === 'end') {
        if (options.progress) {
          options.progress.fraction = 1;
          options.progress.cache = message.cache;
          if (message.note !== undefined) options.progress.cacheNote = message.note;
          const used = await worker.cpuUsage().catch(() => undefined);
          if (used) options.progress.readerCpuMs = (used.user + used.system) / 1000;
        }
        return;
      }
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
      if (options.progress) options.progress.fraction = message.fraction;
      worker.postMessage(1);
      yield decoder.entries(message.batch);
    }
  } finally {
    await worker.terminate();
  }
}
