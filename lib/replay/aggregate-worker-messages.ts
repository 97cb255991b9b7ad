import type { ReplayAggregationSettings } from '../../pipelines/graph/replay-aggregation.ts';
import type { MessagePort } from 'node:worker_threads';
import type { BatchBuffers, EnvelopeBatch } from './envelope-batches.ts';
import type { ReplayPolicies } from './replay-policies.ts';

/** What aggregateOffThread tells its worker (aggregate-worker.ts) first; then only numbers: more frames it may send. */
export interface AggregateWorkerStart {
  readonly kind: 'start';
  readonly path: string;
  readonly policies: ReplayPolicies;
  readonly settings: ReplayAggregationSettings;
  readonly extraMetricTypes: readonly string[];
  /** Issue events sent at most (the frames count every one). */
  readonly maxIssues: number;
  /** From the scanning thread (scan-worker.ts): its batches; back to it: their buffers, once aggregated. */
  readonly scanned: MessagePort;
  /** The cache of this aggregation, read when whole and made for `cacheKey`, else written; none when absent. */
  readonly cache?: { readonly path: string; readonly key: string; readonly writable: boolean } | undefined;
}

/** What the scanning thread (scan-worker.ts) is started with; its channel to the aggregation thread comes along. */
export interface ScanWorkerData {
  readonly path: string;
  /** Bad lines whose reasons are sent; the rest are only counted. */
  readonly maxIssues: number;
}

/**
 * What the scanning thread sends the aggregation thread: the buffers it will fill, batches on them
 * (handed back by their index), then the end or why it failed.
 */
export type ScanWorkerMessage =
  | { readonly kind: 'buffers'; readonly sets: readonly BatchBuffers[] }
  | EnvelopeBatch
  | { readonly kind: 'end' }
  | {
      readonly kind: 'failed';
      readonly message: string;
      readonly line?: number | undefined;
      readonly recording: boolean;
    };

/** How the frames were come by. */
export type CacheOutcome = 'read' | 'written' | 'not written' | 'off';

export type AggregateWorkerMessage =
  | { readonly kind: 'frame'; readonly text: string }
  | { readonly kind: 'end'; readonly cache: CacheOutcome; readonly note?: string | undefined }
  | {
      readonly kind: 'failed';
      readonly message: string;
      readonly line?: number | undefined;
      readonly recording: boolean;
    };
