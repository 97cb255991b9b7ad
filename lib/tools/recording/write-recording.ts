import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { constants, createGzip, createZstdCompress } from 'node:zlib';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RecordingCompression } from './read-recording-lines.ts';

export interface RecordingWriter {
  /** Appends one line (a serialised envelope); waits when the file cannot keep up. */
  write(line: string): Promise<void>;
  /** Flushes and moves the finished file into place. */
  close(): Promise<void>;
  /** Removes the partial file. */
  abort(): Promise<void>;
  readonly lines: () => number;
}

export interface RecordingWriterOptions {
  /** Defaults to the path's extension: `.gz` gzip, `.zst` zstd, anything else plain text. */
  readonly compression?: RecordingCompression;
  /** Compression level (gzip 1-9, default 6; zstd 1-19, default 3); gzip 9 for files that ship with the repository. */
  readonly level?: number;
}

/** The compression a recording's name asks for. */
const compressionOf = (path: string): RecordingCompression =>
  path.endsWith('.gz') ? 'gzip' : path.endsWith('.zst') ? 'zstd' : 'none';

const compressor = (compression: RecordingCompression, level: number | undefined) =>
  compression === 'gzip'
    ? createGzip({ level: level ?? 6 })
    : // zstd inflates several times faster than gzip, which is what a long replay waits on.
      compression === 'zstd'
      ? createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: level ?? 3 } })
      : undefined;

/**
 * Writes a recording to a temporary file next to `path` and renames it on close, so a failed or
 * interrupted run never leaves a half-written recording under the final name.
 */
export const createRecordingWriter = async (
  path: string,
  options: RecordingWriterOptions = {},
): Promise<RecordingWriter> => {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.partial`;
  const file = createWriteStream(temporary);
  const zip = compressor(options.compression ?? compressionOf(path), options.level);
  const sink: Writable = zip ?? file;
  const done = zip ? pipeline(zip, file) : once(file, 'finish').then(() => undefined);
  done.catch(() => {});
  let count = 0;
  return {
    lines: () => count,
    async write(line) {
      count += 1;
      if (!sink.write(`${line}\n`)) await once(sink, 'drain');
    },
    async close() {
      sink.end();
      await done;
      await rename(temporary, path);
    },
    async abort() {
      sink.destroy();
      // The file may still be opening: wait until it is closed, or it could appear after the rm.
      const closed = file.closed
        ? Promise.resolve()
        : once(file, 'close').then(
            () => undefined,
            () => undefined,
          );
      file.destroy();
      await closed;
      await rm(temporary, { force: true });
    },
  };
};
