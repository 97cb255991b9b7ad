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
