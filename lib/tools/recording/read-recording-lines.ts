import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import type { Readable, Transform } from 'node:stream';
import { RecordingError } from './recording-error.ts';
import { errorText } from '../../core/error-text.ts';

/** Consecutive lines of a recording: `texts[i]` is line `firstLine + i` (1-based, counted in the decompressed text). */
export interface RecordingLines {
  readonly firstLine: number;
  readonly texts: readonly string[];
}

/** Bytes of the file consumed so far (compressed bytes for gzip or zstd), for progress display. */
export interface ReadProgress {
  bytesRead: number;
  totalBytes: number;
}

export type RecordingCompression = 'gzip' | 'zstd' | 'none';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const READ_CHUNK = 1024 * 1024;
const INFLATE_CHUNK = 1024 * 1024;

const startsWith = (head: Buffer, magic: readonly number[]) => magic.every((byte, i) => head[i] === byte);

/** The compression named by the file's magic number; the extension is not trusted either way. */
export const recordingCompression = async (path: string): Promise<RecordingCompression> => {
  const handle = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new RecordingError(`cannot open recording ${path}: ${err.code ?? err.message}`, { path, cause: err });
  });
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    if (bytesRead >= 2 && startsWith(head, GZIP_MAGIC)) return 'gzip';
    if (bytesRead === 4 && startsWith(head, ZSTD_MAGIC)) return 'zstd';
    return 'none';
  } finally {
    await handle.close();
  }
};

const decompressor = (compression: RecordingCompression): Transform | undefined =>
  compression === 'gzip'
    ? createGunzip({ chunkSize: INFLATE_CHUNK })
    : compression === 'zstd'
      ? createZstdDecompress({ chunkSize: INFLATE_CHUNK })
      : undefined;

const isCorruption = (err: NodeJS.ErrnoException) =>
  err.code === 'Z_DATA_ERROR' ||
  err.code === 'Z_BUF_ERROR' ||
  /^ZSTD_/.test(err.code ?? '') ||
  err.message.includes('unexpected end');

/** Consecutive whole lines of a recording, undecoded: line `firstLine + i` is `bytes[starts(i), ends[i])`, its newline (and a `\r` before it) left out. */
export interface RecordingChunk {
  readonly firstLine: number;
  readonly bytes: Buffer;
  /** Where each line ends (its `\n`, or the end of `bytes` for a last line without one). */
  readonly ends: readonly number[];
}

/** Where line `i` of a chunk starts. */
export const lineStart = (chunk: RecordingChunk, i: number): number => (i === 0 ? 0 : chunk.ends[i - 1]! + 1);

/** Where line `i` of a chunk ends, a `\r` before its newline left out. */
export const lineEnd = (chunk: RecordingChunk, i: number): number => {
  const end = chunk.ends[i]!;
  return end > lineStart(chunk, i) && chunk.bytes[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
};

/**
 * The decompressed bytes of a plain, gzip or zstd recording, as they come. A corrupt stream is a
 * RecordingError naming the line reached (`lineReached()`).
 */
async function* readDecompressed(
  path: string,
  progress: ReadProgress | undefined,
  lineReached: () => number,
): AsyncGenerator<Buffer> {
  const compression = await recordingCompression(path);
  const raw = createReadStream(path, { highWaterMark: READ_CHUNK });
  if (progress) {
    raw.on('open', () => {
      progress.bytesRead = 0;
    });
    raw.on('data', (chunk) => {
      progress.bytesRead += chunk.length;
    });
  }
  const unpack = decompressor(compression);
  const input: Readable = unpack ? raw.pipe(unpack) : raw;
  if (unpack) raw.on('error', (err) => input.destroy(err));
  try {
    yield* input as AsyncIterable<Buffer>;
  } catch (err) {
    const line = lineReached();
    const reason = isCorruption(err as NodeJS.ErrnoException)
      ? `corrupt ${compression} data after line ${line}`
      : `read failed after line ${line}: ${errorText(err)}`;
    throw new RecordingError(`${path}: ${reason}`, { path, line, cause: err });
  } finally {
    raw.destroy();
    unpack?.destroy();
  }
}

/**
 * Streams the lines of a plain, gzip or zstd recording without loading it whole, a chunk of whole
 * lines per decompressed chunk, still as bytes: lines are cut on newline bytes (UTF-8 never uses
 * that byte inside a character), which is much cheaper than decoding chunks to text and cutting
 * strings, and a reader that scans bytes need not decode most of them at all. Line endings may be
 * `\n` or `\r\n`; a last line without a newline is still read. A corrupt stream is a RecordingError
 * naming the line reached.
 */
export async function* readRecordingChunks(path: string, progress?: ReadProgress): AsyncGenerator<RecordingChunk> {
  let line = 0;
  // The unfinished line: parts of it, joined only once its newline arrives.
  let pending: Buffer[] = [];
  for await (const chunk of readDecompressed(path, progress, () => line)) {
    let bytes = chunk;
    let end = bytes.indexOf(NEWLINE);
    if (end === -1) {
      pending.push(bytes);
      continue;
    }
    if (pending.length > 0) {
      // The unfinished line, completed, is a chunk of its own: joining it to the whole of the
      // next chunk would copy every decompressed byte once more.
      pending.push(bytes.subarray(0, end + 1));
      const joined = Buffer.concat(pending);
      pending = [];
      line += 1;
      yield { firstLine: line, bytes: joined, ends: [joined.length - 1] };
      bytes = bytes.subarray(end + 1);
      end = bytes.indexOf(NEWLINE);
      if (end === -1) {
        if (bytes.length > 0) pending.push(bytes);
        continue;
      }
    }
    const ends: number[] = [];
    let start = 0;
    for (; end !== -1; end = bytes.indexOf(NEWLINE, start)) {
      ends.push(end);
      start = end + 1;
    }
    const firstLine = line + 1;
    line += ends.length;
    if (start < bytes.length) pending.push(bytes.subarray(start));
    yield { firstLine, bytes: start < bytes.length ? bytes.subarray(0, start) : bytes, ends };
  }
  if (pending.length > 0) {
    const rest = Buffer.concat(pending);
    yield { firstLine: line + 1, bytes: rest, ends: [rest.length] };
  }
}

/** Where a reader of blocks has got to: the lines it has taken, kept up to date by the reader. */
export interface BlockPosition {
  line: number;
}

/**
 * The recording's bytes cut only after their last newline: blocks of whole lines, each ending in a
 * newline but for a last line of the file without one, for a reader that finds where each line
 * ends as it reads it (LineScanner.probe) rather than searching every line for its newline first.
 * The reader keeps `position.line` up to date, so that a corrupt stream's RecordingError names the
 * line reached.
 */
export async function* readRecordingBlocks(
  path: string,
  progress: ReadProgress | undefined,
  position: BlockPosition,
): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  for await (const chunk of readDecompressed(path, progress, () => position.line)) {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last === -1) {
      pending.push(chunk);
      continue;
    }
    if (pending.length > 0) {
      // The unfinished line, completed, is a block of its own (no copy of the whole chunk).
      const first = chunk.indexOf(NEWLINE);
      pending.push(chunk.subarray(0, first + 1));
      yield Buffer.concat(pending);
      pending = [];
      if (first < last) yield chunk.subarray(first + 1, last + 1);
    } else yield last + 1 === chunk.length ? chunk : chunk.subarray(0, last + 1);
    if (last + 1 < chunk.length) pending.push(chunk.subarray(last + 1));
  }
  if (pending.length > 0) yield Buffer.concat(pending);
}

/** The lines of a recording as text (see readRecordingChunks). */
export async function* readRecordingLines(path: string, progress?: ReadProgress): AsyncGenerator<RecordingLines> {
  for await (const chunk of readRecordingChunks(path, progress)) {
    const texts: string[] = [];
    for (let i = 0; i < chunk.ends.length; i++)
      texts.push(chunk.bytes.toString('utf8', lineStart(chunk, i), lineEnd(chunk, i)));
    yield { firstLine: chunk.firstLine, texts };
  }
}
