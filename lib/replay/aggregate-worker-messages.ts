import type { ReplayAggregationSettings } from '../../pipelines/graph/replay-aggregation.ts';
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
  /** The cache of this aggregation, read when whole and made for `cacheKey`, else written; none when absent. */
  readonly cache?: { readonly path: string; readonly key: string; readonly writable: boolean } | undefined;
}

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
