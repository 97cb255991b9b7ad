import { Worker } from 'node:worker_threads';
import { RecordingError } from '../tools/recording/recording-error.ts';
import type { ReplayAggregationSettings } from '../../pipelines/graph/replay-aggregation.ts';
import { aggregatedCachePath, aggregationKey, contentHash, ensureCacheDir } from './aggregated-cache.ts';
import type { AggregateWorkerMessage, AggregateWorkerStart, CacheOutcome } from './aggregate-worker-messages.ts';
import type { ReplayPolicies } from './replay-policies.ts';

export type { CacheOutcome } from './aggregate-worker-messages.ts';

/** How the reading has come along, and, once done, how the cache served. */
export interface OffThreadProgress {
  /** Why a cache was not read or not written, when that is worth telling. */
  cacheNote?: string;
  cache?: CacheOutcome;
  /** CPU time of the reader thread, once done. */
  readerCpuMs?: number;
}

export interface AggregateOffThreadOptions {
  readonly policies: ReplayPolicies;
  readonly settings: ReplayAggregationSettings;
  readonly extraMetricTypes?: readonly string[] | undefined;
  readonly maxIssues: number;
  readonly progress?: OffThreadProgress;
  /** The directory of aggregated-recording caches (see aggregated-cache.ts); none when absent. */
  readonly cacheDir?: string | undefined;
  /** Frames the worker may have sent and the reader not yet taken. */
  readonly ahead?: number;
}

const WORKER_ENTRY = new URL('./aggregate-worker.ts', import.meta.url);
/**
 * The reader's garbage is almost all short-lived (an envelope per line); V8's default young
 * generation grew to about 100 MiB more resident memory for no less CPU in a 24 h, 100-app replay.
 */
const WORKER_YOUNG_GENERATION_MB = 32;

/**
 * Streams a recording's aggregation as frames of JSON (aggregated-frames.ts): a worker thread reads,
 * decompresses and scans the recording and runs the replay's aggregation on it (or reads the
 * frames from the cache of the same recording and settings), so that the caller's thread only
 * evaluates. The worker stays a bounded number of frames ahead and ends when the caller stops early.
 */
export async function* aggregateOffThread(path: string, options: AggregateOffThreadOptions): AsyncGenerator<string> {
  // Started first: it loads while the recording's bytes are hashed.
  const worker = new Worker(WORKER_ENTRY, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
  const inbox: (AggregateWorkerMessage | { kind: 'crashed'; err: Error })[] = [];
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
    const extraMetricTypes = options.extraMetricTypes ?? [];
    let cache: AggregateWorkerStart['cache'];
    if (options.cacheDir !== undefined) {
      const hash = await contentHash(path).catch(() => undefined);
      if (hash !== undefined) {
        const key = aggregationKey(hash, options.policies, options.settings, extraMetricTypes);
        const writable = await ensureCacheDir(options.cacheDir).then(
          () => true,
          () => false,
        );
        cache = { path: aggregatedCachePath(options.cacheDir, key), key, writable };
      }
    }
    const start: AggregateWorkerStart = {
      kind: 'start',
      path,
      policies: options.policies,
      settings: {
        statWindowSecs: options.settings.statWindowSecs,
        aggregatorIntervalMs: options.settings.aggregatorIntervalMs,
      },
      extraMetricTypes,
      maxIssues: options.maxIssues,
      cache,
    };
    worker.postMessage(start);
    const ahead = options.ahead ?? 64;
    // Taken frames are granted back in groups: a message per frame cost more than the frame's own.
    const grantEvery = Math.max(1, Math.floor(ahead / 4));
    let taken = 0;
    worker.postMessage(ahead);
    for (;;) {
      while (inbox.length === 0)
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      wake = undefined;
      const message = inbox.shift()!;
      if (message.kind === 'end') {
        if (options.progress) {
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
        if (message.recording) throw new RecordingError(message.message, { path, line: message.line });
        throw new Error(message.message);
      }
      taken += 1;
      if (taken === grantEvery) {
        worker.postMessage(taken);
        taken = 0;
      }
      yield message.text;
    }
  } finally {
    await worker.terminate();
  }
}
