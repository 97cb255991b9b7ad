import { errorText } from '../../core/error-text.ts';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EntryBatch } from './entry-batch.ts';

/**
 * The parsed form of a recording, kept so that a replay of the same file need not read its JSON
 * again: the EntryBatches the parser produced, one frame each, in a file named by the SHA-256 of
 * the recording's bytes. A changed recording has another name, so a cache can never answer for
 * content it was not made from; a file of another format version, or cut short, is not used.
 *
 * File: MAGIC, then frames. A frame: four uint32 (header bytes, ints, floats, bigs counts), the
 * header as JSON (strings, tag sets, reasons, count, reset), zero padding to 8 bytes, then the
 * three arrays' bytes. The last frame has a header length of END and carries the entry count.
 */
const MAGIC = Buffer.from('eventgenerator parsed recording v1\n');
const END = 0xffffffff;
const FRAME_HEAD = 16;

interface FrameHeader {
  readonly reset: boolean;
  readonly strings: readonly string[];
  readonly tagSets: readonly Readonly<Record<string, string>>[];
  readonly count: number;
  readonly reasons: readonly string[];
}

/** The SHA-256 of a file's bytes, hex. */
export const contentHash = async (path: string): Promise<string> => {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
};

/** Where the cache of a recording with this content hash lives. */
export const cachePath = (dir: string, hash: string): string => join(dir, `${hash}.parsed`);

export const ensureCacheDir = async (dir: string): Promise<void> => {
  await mkdir(dir, { recursive: true });
};

const pad8 = (n: number) => (8 - (n % 8)) % 8;

export interface CacheWriter {
  /** Appends a batch; call before its arrays are transferred to another thread. */
  add(batch: EntryBatch): void;
  /** Completes the file and puts it in place. */
  finish(): void;
  /** Leaves no file behind. */
  abandon(): void;
}

/**
 * Writes a cache next to its final name and renames it there once complete, so that a reader
 * never sees half a file and two replays writing at once both end with a whole one.
 */
export const createCacheWriter = (path: string): CacheWriter => {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = openSync(temporary, 'w');
  let entries = 0;
  let open = true;
  writeSync(fd, MAGIC);
  const close = () => {
    if (!open) return;
    open = false;
    closeSync(fd);
  };
  return {
    add(batch) {
      const header: FrameHeader = {
        reset: batch.reset,
        strings: batch.strings,
        tagSets: batch.tagSets,
        count: batch.count,
        reasons: batch.reasons,
      };
      const json = Buffer.from(JSON.stringify(header));
      const head = Buffer.alloc(FRAME_HEAD + json.length + pad8(FRAME_HEAD + json.length));
      head.writeUInt32LE(json.length, 0);
      head.writeUInt32LE(batch.ints.length, 4);
      head.writeUInt32LE(batch.floats.length, 8);
      head.writeUInt32LE(batch.bigs.length, 12);
      json.copy(head, FRAME_HEAD);
      writeSync(fd, head);
      for (const array of [batch.ints, batch.floats, batch.bigs]) {
        const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
        writeSync(fd, bytes);
        const padding = pad8(bytes.length);
        if (padding > 0) writeSync(fd, Buffer.alloc(padding));
      }
      entries += batch.count;
    },
    finish() {
      const end = Buffer.alloc(FRAME_HEAD);
      end.writeUInt32LE(END, 0);
      end.writeUInt32LE(entries >>> 0, 4);
      end.writeUInt32LE(Math.floor(entries / 2 ** 32), 8);
      writeSync(fd, end);
      close();
      renameSync(temporary, path);
    },
    abandon() {
      close();
      rmSync(temporary, { force: true });
    },
  };
};

/** Why a cache file cannot be used (the replay then parses the recording). */
export class CacheUnusable extends Error {
  override name = 'CacheUnusable' as const;
}

export interface CacheReader {
  /** The next batch, undefined after the last; throws CacheUnusable for a damaged file. */
  next(): EntryBatch | undefined;
  /** Bytes of the file read so far, and its size. */
  readonly progress: { bytesRead: number; totalBytes: number };
  close(): void;
}

/** Opens a cache; undefined when there is none. A file of another format is CacheUnusable. */
export const openCacheReader = (path: string): CacheReader | undefined => {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  let position = 0;
  const progress = { bytesRead: 0, totalBytes: 0 };
  const read = (length: number): Buffer => {
    const buffer = Buffer.allocUnsafe(length);
    const got = readSync(fd, buffer, 0, length, position);
    if (got !== length) throw new CacheUnusable(`cache ${path} ends early`);
    position += length;
    progress.bytesRead = position;
    return buffer;
  };
  /** A typed array of `count` elements, on memory of its own (so it can move to another thread). */
  const array = <T>(count: number, size: number, make: (buffer: ArrayBuffer) => T): T => {
    const bytes = read(count * size + pad8(count * size));
    const own = new ArrayBuffer(count * size);
    new Uint8Array(own).set(bytes.subarray(0, count * size));
    return make(own);
  };
  try {
    const magic = read(MAGIC.length);
    if (!magic.equals(MAGIC)) throw new CacheUnusable(`cache ${path} is of another format`);
    // Whole files only: one cut short (a full disk, a copy) is known before any batch is used.
    const size = fstatSync(fd).size;
    progress.totalBytes = size;
    const tail = Buffer.alloc(FRAME_HEAD);
    if (size < MAGIC.length + FRAME_HEAD || readSync(fd, tail, 0, FRAME_HEAD, size - FRAME_HEAD) !== FRAME_HEAD)
      throw new CacheUnusable(`cache ${path} is incomplete`);
    if (tail.readUInt32LE(0) !== END) throw new CacheUnusable(`cache ${path} is incomplete`);
  } catch (err) {
    closeSync(fd);
    throw err instanceof CacheUnusable ? err : new CacheUnusable(`cache ${path}: ${errorText(err)}`);
  }
  let done = false;
  return {
    progress,
    next() {
      if (done) return undefined;
      const head = read(FRAME_HEAD);
      const jsonLength = head.readUInt32LE(0);
      if (jsonLength === END) {
        done = true;
        return undefined;
      }
      const ints = head.readUInt32LE(4);
      const floats = head.readUInt32LE(8);
      const bigs = head.readUInt32LE(12);
      const json = read(jsonLength + pad8(FRAME_HEAD + jsonLength));
      let header: FrameHeader;
      try {
        header = JSON.parse(json.toString('utf8', 0, jsonLength)) as FrameHeader;
      } catch {
        throw new CacheUnusable(`cache ${path} is damaged`);
      }
      return {
        ...header,
        ints: array(ints, 4, (b) => new Int32Array(b)),
        floats: array(floats, 8, (b) => new Float64Array(b)),
        bigs: array(bigs, 8, (b) => new BigInt64Array(b)),
      };
    },
    close() {
      closeSync(fd);
    },
  };
};
