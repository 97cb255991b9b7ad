/**
 * The thread behind readRecordingOffThread: it reads, decompresses and scans the recording (or reads
 * its parsed cache) and sends its entries as EntryBatches, at most as many batches ahead as the
 * reader has granted.
 */
import { stat } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { parseEnvelope } from '../../core/envelope/parse-envelope.ts';
import { createEntryBatchEncoder } from './entry-batch.ts';
import type { EntryBatch } from './entry-batch.ts';
import type { CacheOutcome, EntryWorkerMessage, EntryWorkerStart } from './entry-worker-messages.ts';
import { createLineScanner } from './line-scanner.ts';
import { CacheUnusable, createCacheWriter, openCacheReader } from './parsed-recording-cache.ts';
import type { CacheWriter } from './parsed-recording-cache.ts';
import { lineEnd, lineStart, readRecordingChunks } from './read-recording-lines.ts';
import { isRecordingError } from './recording-error.ts';
import { errorText } from '../../core/error-text.ts';

const port = parentPort!;
const post = (message: EntryWorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

let credit = 0;
let granted: (() => void) | undefined;
let started: ((start: EntryWorkerStart) => void) | undefined;
const start = new Promise<EntryWorkerStart>((resolve) => {
  started = resolve;
});
port.on('message', (message: number | EntryWorkerStart) => {
  if (typeof message !== 'number') return started?.(message);
  credit += message;
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

const send = async (batch: EntryBatch, fraction: number) => {
  await waitForCredit();
  post({ kind: 'batch', batch, fraction }, [
    batch.ints.buffer as ArrayBuffer,
    batch.floats.buffer as ArrayBuffer,
    batch.bigs.buffer as ArrayBuffer,
  ]);
};

/** The batches of a whole cache file, or the reason it cannot be used (nothing sent then). */
const fromCache = async (path: string): Promise<string | undefined> => {
  let reader: ReturnType<typeof openCacheReader>;
  try {
    reader = openCacheReader(path);
  } catch (err) {
    if (err instanceof CacheUnusable) return err.message;
    throw err;
  }
  if (!reader) return 'no cache yet';
  try {
    const { progress } = reader;
    for (let batch = reader.next(); batch; batch = reader.next())
      await send(batch, progress.totalBytes > 0 ? progress.bytesRead / progress.totalBytes : 0);
    return undefined;
  } finally {
    reader.close();
  }
};

let writer: CacheWriter | undefined;
let note: string | undefined;

const parse = async (path: string, batchSize: number) => {
  const encoder = createEntryBatchEncoder();
  const scan = createLineScanner(parseEnvelope);
  const progress = { bytesRead: 0, totalBytes: (await stat(path).catch(() => ({ size: 0 }))).size };
  const flush = async () => {
    const batch = encoder.take();
    // Written before it is sent: sending moves its arrays to the other thread. A cache that
    // cannot be written (a full disk) is given up; the replay goes on.
    try {
      writer?.add(batch);
    } catch (err) {
      writer?.abandon();
      writer = undefined;
      note = `cache not written: ${errorText(err)}`;
    }
    await send(batch, progress.totalBytes > 0 ? progress.bytesRead / progress.totalBytes : 0);
  };
  for await (const chunk of readRecordingChunks(path, progress)) {
    const { bytes, ends, firstLine } = chunk;
    for (let i = 0; i < ends.length; i++) {
      const entry = scan(bytes, lineStart(chunk, i), lineEnd(chunk, i), firstLine + i);
      if (entry === undefined) continue;
      encoder.add(entry);
      if (encoder.size() >= batchSize) await flush();
    }
  }
  if (encoder.size() > 0) await flush();
};

const { path, batchSize, cacheRead, cacheWrite } = await start;
try {
  let outcome: CacheOutcome = 'off';
  const unusable = cacheRead === undefined ? 'off' : await fromCache(cacheRead);
  if (unusable === undefined) outcome = 'read';
  else {
    if (cacheWrite !== undefined) {
      try {
        writer = createCacheWriter(cacheWrite);
      } catch (err) {
        note = `cache not written: ${errorText(err)}`;
      }
    }
    await parse(path, batchSize);
    if (writer) {
      writer.finish();
      outcome = 'written';
    } else if (cacheWrite !== undefined) outcome = 'not written';
    if (unusable !== 'off' && unusable !== 'no cache yet') note ??= unusable;
  }
  post({ kind: 'end', cache: outcome, note });
} catch (err) {
  writer?.abandon();
  const recording = isRecordingError(err) ? err : undefined;
  post({
    kind: 'failed',
    message: errorText(err),
    line: recording?.line,
    recording: recording !== undefined,
  });
}
