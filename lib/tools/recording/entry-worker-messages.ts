import type { EntryBatch } from './entry-batch.ts';

/** What readRecordingOffThread gives its worker (entry-worker.ts) at start. */
export interface EntryWorkerStart {
  readonly path: string;
  readonly batchSize: number;
}

/** What the worker sends back; the reader sends only numbers: more batches it may send. */
export type EntryWorkerMessage =
  | { readonly kind: 'batch'; readonly batch: EntryBatch; readonly bytesRead: number }
  | { readonly kind: 'end' }
  | {
      readonly kind: 'failed';
      readonly message: string;
      readonly line?: number | undefined;
      readonly recording: boolean;
    };
