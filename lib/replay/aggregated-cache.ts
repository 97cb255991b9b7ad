import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  closeSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorText } from '../core/error-text.ts';
import type { ReplayAggregationSettings } from '../../pipelines/graph/replay-aggregation.ts';
import { policyFor } from './replay-policies.ts';
import type { ReplayPolicies } from './replay-policies.ts';

/**
 * A replay's aggregation of a recording, kept so that a replay of the same recording need not read
 * it again: the frames the aggregation thread sent (aggregated-frames.ts), one JSON line each, in a file
 * named by the SHA-256 of its key. The key holds the recording's content hash and everything that
 * shapes the aggregation (the format, the stat window, the aggregation interval, the metric types
 * monitored per app); a change of any of them names another file, so a cache never answers for
 * another recording or other settings. Thresholds, cooldowns, instance limits, the load model and
 * every other evaluation setting are not in the key: they act on the metrics after the cache.
 *
 * File: MAGIC, the key line, the frames, END. A file without its END line (cut short) or with
 * another key is not used.
 */
const FORMAT = 'eventgenerator aggregated recording v1';
const END = 'end';
const SUFFIX = '.aggregated';
/** The earlier format: whole parsed envelopes; never read now, so removed when the directory is pruned. */
const OLD_SUFFIX = '.parsed';
const TEMPORARY = '.tmp';
/** A temporary file this old is left over from a replay that was killed. */
const STALE_TEMPORARY_MS = 60 * 60_000;

/** How many caches a directory keeps at most, and how many bytes; the most recently used stay. */
export interface CacheBounds {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

export const DEFAULT_CACHE_BOUNDS: CacheBounds = { maxEntries: 32, maxBytes: 512 * 1024 * 1024 };

/** The SHA-256 of a file's bytes, hex. */
export const contentHash = async (path: string): Promise<string> => {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
};

const typesOf = (policies: ReplayPolicies, appId: string): readonly string[] | null => {
  const policy = policyFor(policies, appId);
  return policy ? [...new Set(policy.rules.map((r) => r.metricType))] : null;
};

/** The key of a recording's aggregation under these policies and settings, as one line of JSON. */
export const aggregationKey = (
  recordingHash: string,
  policies: ReplayPolicies,
  settings: ReplayAggregationSettings,
  extraMetricTypes: readonly string[],
): string =>
  JSON.stringify({
    format: FORMAT,
    recording: recordingHash,
    statWindowSecs: settings.statWindowSecs,
    aggregatorIntervalMs: settings.aggregatorIntervalMs,
    // Per app in the file's order: that order is the order of each tick's metrics.
    monitored:
      policies.kind === 'shared'
        ? { shared: typesOf(policies, 'shared') }
        : { perApp: [...policies.texts.keys()].map((appId) => [appId, typesOf(policies, appId)]) },
    extraMetricTypes,
  });

/** Where the cache of this key lives. */
export const aggregatedCachePath = (dir: string, key: string): string =>
  join(dir, `${createHash('sha256').update(key).digest('hex')}${SUFFIX}`);

export const ensureCacheDir = async (dir: string): Promise<void> => {
  await mkdir(dir, { recursive: true });
};

/** Why a cache file cannot be used (the replay then reads the recording). */
export class CacheUnusable extends Error {
  override name = 'CacheUnusable' as const;
}

/**
 * The frames of a cache, or undefined when there is none; CacheUnusable for one of another format
 * or key, or cut short. A used cache is marked as recently used (its modification time), which is
 * what pruning keeps.
 */
export const readAggregatedCache = (path: string, key: string): string[] | undefined => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CacheUnusable(`cache ${path}: ${errorText(err)}`);
  }
  const lines = text.split('\n');
  if (lines[0] !== FORMAT) throw new CacheUnusable(`cache ${path} is of another format`);
  if (lines[1] !== key) throw new CacheUnusable(`cache ${path} was made for another key`);
  if (lines.at(-1) !== '' || lines.at(-2) !== END) throw new CacheUnusable(`cache ${path} is incomplete`);
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    // read-only: it still serves
  }
  return lines.slice(2, -2);
};

export interface AggregatedCacheWriter {
  add(frame: string): void;
  /** Completes the file and puts it in place. */
  finish(): void;
  /** Leaves no file behind. */
  abandon(): void;
}

/**
 * Writes a cache next to its final name and renames it there once complete, so that a reader
 * never sees half a file and two replays writing at once both end with a whole one.
 */
export const createAggregatedCacheWriter = (path: string, key: string): AggregatedCacheWriter => {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}${TEMPORARY}`;
  const fd = openSync(temporary, 'w');
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    closeSync(fd);
  };
  const write = (line: string) => {
    if (line.includes('\n')) throw new Error('a cache frame must be one line');
    writeSync(fd, `${line}\n`);
  };
  try {
    write(FORMAT);
    write(key);
  } catch (err) {
    close();
    rmSync(temporary, { force: true });
    throw err;
  }
  return {
    add: write,
    finish() {
      write(END);
      close();
      renameSync(temporary, path);
    },
    abandon() {
      close();
      rmSync(temporary, { force: true });
    },
  };
};

/**
 * Bounds a cache directory: keeps the most recently used caches (by modification time, which a
 * read refreshes) while they fit `bounds`, always the newest one, and removes the others, caches of
 * the earlier format and temporary files left by killed replays. Other files are left alone.
 * Returns the names removed.
 */
export const pruneCacheDir = (
  dir: string,
  bounds: CacheBounds = DEFAULT_CACHE_BOUNDS,
  nowMs = Date.now(),
): string[] => {
  const removed: string[] = [];
  const remove = (name: string) => {
    try {
      rmSync(join(dir, name), { force: true });
      removed.push(name);
    } catch {
      // another replay's, or gone meanwhile
    }
  };
  const caches: { name: string; size: number; mtimeMs: number }[] = [];
  for (const name of readdirSync(dir)) {
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(join(dir, name));
    } catch {
      continue;
    }
    if (!stat.isFile()) continue;
    if (name.endsWith(SUFFIX)) caches.push({ name, size: stat.size, mtimeMs: stat.mtimeMs });
    else if (name.endsWith(OLD_SUFFIX)) remove(name);
    else if (name.endsWith(TEMPORARY) && nowMs - stat.mtimeMs > STALE_TEMPORARY_MS) remove(name);
  }
  caches.sort((a, b) => b.mtimeMs - a.mtimeMs || a.name.localeCompare(b.name));
  let bytes = 0;
  caches.forEach((cache, i) => {
    bytes += cache.size;
    if (i > 0 && (i >= bounds.maxEntries || bytes > bounds.maxBytes)) remove(cache.name);
  });
  return removed;
};

/** The caches in `dir` made from the recording with this content hash, under any settings (paths). */
export const cachesOfRecording = (dir: string, recordingHash: string): string[] => {
  const found: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of names) {
    if (!name.endsWith(SUFFIX)) continue;
    const path = join(dir, name);
    try {
      const head = readFileSync(path, 'utf8').split('\n', 2);
      const key = JSON.parse(head[1] ?? '{}') as { recording?: unknown };
      if (head[0] === FORMAT && key.recording === recordingHash) found.push(path);
    } catch {
      // unreadable or of another format: not this recording's
    }
  }
  return found;
};
