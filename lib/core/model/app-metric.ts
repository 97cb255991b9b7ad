/** One aggregated value per (app, metric type) at one instant: the row of `app_metric`. */
export interface AppMetric {
  readonly appId: string;
  /** The metric type (DB column `metric_type`, JSON field `name`). */
  readonly name: string;
  readonly unit: string;
  /** Base-10 integer text, or "" when no sample could be aggregated (it blocks breaches). */
  readonly value: string;
  /** Nanoseconds since the epoch. */
  readonly timestamp: bigint;
}

export type SortOrder = 'ASC' | 'DESC';

/** A metric the `app_metric` table cannot hold, and why. */
export interface RejectedMetric {
  readonly metric: AppMetric;
  readonly reason: string;
}

/** The outcome of saving one batch of app metrics. */
export interface SaveResult {
  readonly saved: number;
  /** Rows the table cannot hold; they are reported, never allowed to fail the rest of the batch. */
  readonly rejected: readonly RejectedMetric[];
}
