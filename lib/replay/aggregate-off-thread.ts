import { MessageChannel, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { RecordingError } from '../tools/recording/recording-error.ts';
import type { ReplayAggregationSettings } from '../../pipelines/graph/replay-aggregation.ts';
import { aggregatedCachePath, aggregationKey, contentHash, ensureCacheDir } from './aggregated-cache.ts';
import type {
  AggregateWorkerMessage,
  AggregateWorkerStart,
  CacheOutcome,
  ScanWorkerData,
} from './aggregate-worker-messages.ts';
import type { ReplayPolicies } from './replay-policies.ts';

export type { CacheOutcome } from './aggregate-worker-messages.ts';

/** How the reading has come along, and, once done, how the cache served. */
export interface OffThreadProgress {
  /** Why a cache was not read or not written, when that is worth telling. */
  cacheNote?: string;
  cache?: CacheOutcome;
  /** CPU time of the aggregation thread and of the scanning thread, once done. */
  readerCpuMs?: number;
  scannerCpuMs?: number;
}

export interface AggregateOffThreadOptions {
  readonly policies: ReplayPolicies;
  readonly settings: ReplayAggregationSettings;
  readonly extraMetricTypes?: readonly string[] | undefined;
  readonly maxIssues: number;
  readonly progress?: OffThreadProgress;
  /** The directory of aggregated-recording caches (see aggregated-cache.ts); none when absent. */
  readonly cacheDir?: string | undefined;
  /** Frames the aggregation thread may have sent and this one not yet taken. */
  readonly ahead?: number;
}

const WORKER_ENTRY = new URL('./aggregate-worker.ts', import.meta.url);
const SCANNER_ENTRY = new URL('./scan-worker.ts', import.meta.url);
/**
 * The aggregation's garbage is almost all short-lived (an envelope per line); V8's default young
 * generation grew to about 100 MiB more resident memory for no less CPU in a 24 h, 100-app replay.
 */
const WORKER_YOUNG_GENERATION_MB = 16;
/** The scanner makes little garbage (no object per line it reads): a small young generation is resident memory saved. */
const SCANNER_YOUNG_GENERATION_MB = 8;

/**
 * Streams a recording's aggregation as frames of JSON (aggregated-frames.ts): a worker thread
 * (scan-worker.ts) reads, decompresses and scans the recording, another (aggregate-worker.ts) runs
 * the replay's aggregation on what it scanned (or reads the frames from the cache of the same
 * recording and settings), so that the caller's thread only evaluates. The scanner starts at once,
 * while the recording is hashed for its cache, and waits after one small batch until the
 * aggregation takes its batches. The aggregation stays a bounded number of frames ahead; both end
 * when the caller stops early.
 */
export async function* aggregateOffThread(path: string, options: AggregateOffThreadOptions): AsyncGenerator<string> {
  // Started first: they load (and the scanner starts) while the recording's bytes are hashed.
  const channel = new MessageChannel();
  const scanData: ScanWorkerData & { port: MessagePort } = { path, maxIssues: options.maxIssues, port: channel.port1 };
  const scanner = new Worker(SCANNER_ENTRY, {
    workerData: scanData,
    transferList: [channel.port1],
    resourceLimits: { maxYoungGenerationSizeMb: SCANNER_YOUNG_GENERATION_MB },
  });
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
    deliver({ kind: 'crashed', err: new Error(`the recording aggregation thread exited (code ${code})`) }),
  );
  scanner.on('error', (err) => deliver({ kind: 'crashed', err }));
  scanner.on('exit', (code) =>
    deliver({ kind: 'crashed', err: new Error(`the recording scanner thread exited (code ${code})`) }),
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
      scanned: channel.port2,
      cache,
    };
    worker.postMessage(start, [channel.port2]);
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
          const [used, scanning] = await Promise.all([worker, scanner].map((w) => w.cpuUsage().catch(() => undefined)));
          if (used) options.progress.readerCpuMs = (used.user + used.system) / 1000;
          if (scanning) options.progress.scannerCpuMs = (scanning.user + scanning.system) / 1000;
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
    await Promise.all([worker.terminate(), scanner.terminate()]);
  }
}
