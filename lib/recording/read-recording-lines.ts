import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { RecordingError } from './recording-error.ts';

export interface RecordingLine {
  /** 1-based, counted in the decompressed text. */
  readonly line: number;
  readonly text: string;
}

/** Bytes of the file consumed so far (compressed bytes for gzip), for progress display. */
export interface ReadProgress {
  bytesRead: number;
  totalBytes: number;
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** Whether the file starts with the gzip magic number; the extension is not trusted either way. */
export const isGzipFile = async (path: string): Promise<boolean> => {
  const handle = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new RecordingError(`cannot open recording ${path}: ${err.code ?? err.message}`, { path, cause: err });
  });
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    const total = (await handle.stat()).size;
    return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1] && total > 0;
  } finally {
    await handle.close();
  }
};

/**
 * Streams the lines of a plain or gzip recording without loading it whole. Line endings may be
 * `\n` or `\r\n`; a last line without a newline is still read. A corrupt gzip stream is a
 * RecordingError naming the line reached.
 */
export async function* readRecordingLines(path: string, progress?: ReadProgress): AsyncGenerator<RecordingLine> {
  const gzip = await isGzipFile(path);
  const raw = createReadStream(path, { highWaterMark: 256 * 1024 });
  if (progress) {
    raw.on('open', () => { progress.bytesRead = 0; });
    raw.on('data', (chunk) => { progress.bytesRead += chunk.length; });
  }
  const input: Readable = gzip ? raw.pipe(createGunzip()) : raw;
  if (gzip) raw.on('error', (err) => input.destroy(err));
  input.setEncoding('utf8');
  let line = 0;
  let rest = '';
  try {
    for await (const chunk of input as AsyncIterable<string>) {
      let start = 0;
      const text = rest + chunk;
      for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
        line += 1;
        yield { line, text: text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end) };
        start = end + 1;
      }
      rest = text.slice(start);
    }
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'Z_DATA_ERROR' || (err as Error).message.includes('unexpected end')
      ? `corrupt gzip data after line ${line}` : `read failed after line ${line}: ${(err as Error).message}`;
    throw new RecordingError(`${path}: ${reason}`, { path, line, cause: err });
  } finally {
    raw.destroy();
  }
  if (rest.length > 0) yield { line: line + 1, text: rest.endsWith('\r') ? rest.slice(0, -1) : rest };
}
