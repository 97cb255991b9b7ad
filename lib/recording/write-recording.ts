import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

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
  /** Compress; defaults to whether the path ends in `.gz`. */
  readonly gzip?: boolean;
  /** gzip level; 9 for files that ship with the repository. */
  readonly level?: number;
}

/**
 * Writes a recording to a temporary file next to `path` and renames it on close, so a failed or
 * interrupted run never leaves a half-written recording under the final name.
 */
export const createRecordingWriter = async (path: string, options: RecordingWriterOptions = {}): Promise<RecordingWriter> => {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.partial`;
  const file = createWriteStream(temporary);
  const gzip = options.gzip ?? path.endsWith('.gz');
  const zip = gzip ? createGzip({ level: options.level ?? 6 }) : undefined;
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
      const closed = file.closed ? Promise.resolve() : once(file, 'close').then(() => undefined, () => undefined);
      file.destroy();
      await closed;
      await rm(temporary, { force: true });
    },
  };
};
