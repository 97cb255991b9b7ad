import type { EntryBatch } from './entry-batch.ts';

/** What readRecordingOffThread tells its worker (entry-worker.ts) first. */
export interface EntryWorkerStart {
  readonly kind: 'start';
  readonly path: string;
  readonly batchSize: number;
  /** Batches from this cache file instead of parsing, when it is whole. */
  readonly cacheRead?: string;
  /** Parse, and write the batches to this cache file too. */
  readonly cacheWrite?: string;
}

/** How the batches were come by. */
export type CacheOutcome = 'read' | 'written' | 'not written' | 'off';

/** What the worker sends back; after the start, the reader sends only numbers: more batches it may send. */
export type EntryWorkerMessage =
  | { readonly kind: 'batch'; readonly batch: EntryBatch; readonly fraction: number }
  | { readonly kind: 'end'; readonly cache: CacheOutcome; readonly note?: string | undefined }
  | {
      readonly kind: 'failed';
      readonly message: string;
      readonly line?: number | undefined;
      readonly recording: boolean;
    };
