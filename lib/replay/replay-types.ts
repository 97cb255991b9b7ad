import type { Database } from '../adapters/db/connect.ts';
import type { Logger } from '../adapters/log/logger.ts';
import type { AppMetric } from '../core/model/app-metric.ts';
import type { Decision } from '../core/model/decision.ts';
import type { Policy } from '../core/model/policy.ts';
import type { RecordingIssue } from '../tools/recording/validate-recording.ts';
import type { MetricSeries } from '../tools/report/metric-series.ts';
import type { ScalingEvent } from '../tools/simulation/scaling-engine-model.ts';
import type { LoadModelName } from './load-model.ts';
import type { ReplayPolicies } from './replay-policies.ts';
import type { WriteBehindStats } from './write-behind-store.ts';
import type { CacheOutcome } from './aggregate-off-thread.ts';
import type { ReplaySettings } from '../../pipelines/graph/replay-settings.ts';

export interface ReplayProgress {
  readonly fraction: number;
  readonly virtualNs: bigint;
  readonly envelopes: number;
  /** Scaling events so far: calls the simulated engine acted on. */
  readonly scalingEvents: number;
}

export interface ReplayOptions {
  readonly recording: string;
  readonly policies: ReplayPolicies;
  /** Also write every app metric to this database (opened meanwhile); none when absent. */
  readonly database?: Database | Promise<Database> | undefined;
  readonly settings: ReplaySettings;
  readonly logger: Logger;
  /** Virtual time per wall-clock time (2 = twice real time); as fast as possible when absent. */
  readonly speed?: number | undefined;
  /** Instances of each app before the first scaling; the policy minimum when absent. */
  readonly initialInstances?: number | undefined;
  /** The directory of aggregated-recording caches (aggregated-cache.ts): read the recording's, or write it; none when absent. */
  readonly cacheDir?: string | undefined;
  /** Stop at the first bad line instead of skipping it. */
  readonly strict?: boolean;
  /** Which decisions to keep in the result (all by default). */
  readonly keep?: ((decision: Decision) => boolean) | undefined;
  /**
   * False: the rules' `no-breach` decisions are not made at all, for a caller whose `keep` drops
   * them anyway (most decisions of a replay are no-breach, and explaining each costs). True when absent.
   */
  readonly noBreachDecisions?: boolean | undefined;
  /** False: the result's metric series stay empty (nobody charts them); true when absent. */
  readonly series?: boolean | undefined;
  readonly onProgress?: (progress: ReplayProgress) => void;
  /** How recorded load meets simulated instances (see load-model.ts); `shared` when absent. */
  readonly loadModel?: LoadModelName;
  /** Metric types to aggregate for every app besides those its rules need. */
  readonly extraMetricTypes?: readonly string[];
  /** Told each aggregated metric as recorded, with the instances that reported it (the policy lab's input). */
  readonly capture?: (recorded: AppMetric, reporting: number) => void;
}

export interface ReplayResult {
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly envelopes: number;
  /** Envelopes older than the replay clock when read; delivered at once. */
  readonly lateEnvelopes: number;
  readonly issues: readonly RecordingIssue[];
  readonly issueCount: number;
  readonly policies: ReadonlyMap<string, Policy>;
  readonly appNames: ReadonlyMap<string, string>;
  /** Sources in the recording that no policy covers; their envelopes are not evaluated. */
  readonly unmatchedSources: readonly string[];
  readonly decisions: readonly Decision[];
  readonly events: readonly ScalingEvent[];
  readonly series: readonly MetricSeries[];
  readonly initialInstances: (appId: string) => number;
  /** History reads the cache could not answer (answered by the in-memory store). */
  readonly reads: number;
  /** Whether the recording's aggregation came from its cache, or the cache was written. */
  readonly cache?: CacheOutcome | undefined;
  readonly cacheNote?: string | undefined;
  /** CPU time of the thread that aggregated the recording (or read its cache), and of the one that scanned it. */
  readonly readerCpuMs?: number | undefined;
  readonly scannerCpuMs?: number | undefined;
  /** What was written to the database, when one was given. */
  readonly database: WriteBehindStats | undefined;
  /** Time of the replay itself (after start-up and the policy file). */
  readonly wallMs: number;
  readonly loadModel: LoadModelName;
  /** When the first envelope was delivered, in ms since the process started (performance.now()). */
  readonly firstEnvelopeAt?: number | undefined;
}
