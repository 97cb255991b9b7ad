import type { Observable } from 'rxjs';
import type { AppMetric, SaveResult, SortOrder } from './app-metric.ts';
import type { EnvelopeRead, InstanceSample, StreamItem } from './envelope.ts';
import type { JournalEntry, PruneResult } from './decision-journal.ts';
import type { MetricWindow } from './metric-window.ts';
import type { PolicyRow, Trigger } from './policy.ts';
import type { ScaleReply } from './scale-reply.ts';

// The ports: what the pipelines need from the world, named once. Adapters implement them; the
// composition roots hand them to the graph. Every Observable here is cold: nothing happens until
// subscription, and unsubscribing cancels what is under way.

/** Every row of `policy_json`; emits once. */
export type RetrievePolicies = () => Observable<readonly PolicyRow[]>;

/** One read of an app's envelopes in `[startTime, endTime)` (ns) whose names pass `nameFilter`; emits once. */
export type ReadEnvelopes = (
  appId: string,
  nameFilter: string,
  startTime: bigint,
  endTime: bigint,
) => Observable<EnvelopeRead>;

/**
 * A live stream of the gauge envelopes of `sourceIds` (the RLP gateway); errors when it cannot be
 * opened or breaks, completes when the gateway ends it. Unsubscribing closes it. With `gaugeNames`
 * (read as each batch comes, so the caller may change it) a gauge envelope with none of those
 * metrics may be left out of the batches, before it is built.
 */
export type StreamEnvelopes = (
  sourceIds: readonly string[],
  options?: { readonly gaugeNames?: ReadonlySet<string> },
) => Observable<StreamItem>;

/** The per-instance samples of one PromQL metric (throughput, responsetime) at `atNs`; emits once. */
export type QueryPromQl = (appId: string, metricType: string, atNs: bigint) => Observable<InstanceSample[]>;

/** Writes one batch of app metrics; emits once. Fails only when the store itself fails. */
export type SaveMetrics = (batch: readonly AppMetric[]) => Observable<SaveResult>;

/** Sends one trigger to the scaling engine; emits one reply, a failed call included. */
export type Scale = (trigger: Trigger) => Observable<ScaleReply>;

/** Appends one batch of decision-journal entries; emits the rows written once. */
export type AppendJournal = (batch: readonly JournalEntry[]) => Observable<number>;

/** Deletes journal rows past the retention and the per-app cap; emits what it deleted once. */
export type PruneJournal = () => Observable<PruneResult>;

/**
 * The shared reader of app-metric history (anchor: QueryAppMetrics): this instance's cache when it
 * covers the range, else the database. Bounds are inclusive; end -1 (any negative) means now.
 */
export interface QueryAppMetrics {
  (appId: string, metricType: string, start: bigint, end: bigint, order: SortOrder): Observable<AppMetric[]>;
  /**
   * The same rows at once when they can be had without waiting (this instance's cache covers the
   * range), else undefined and the caller subscribes. Evaluation uses it to skip the Observable
   * machinery on the common path; readers without a cache need not offer it.
   */
  readonly cached?: (
    appId: string,
    metricType: string,
    start: bigint,
    end: bigint,
    order: SortOrder,
  ) => AppMetric[] | undefined;
  /**
   * The rows `cached` would give in ascending order, into `into` as a window aged from the upper
   * bound (now when `end` is negative), without an AppMetric per row; false, and `into` emptied,
   * when they cannot be had at once. Evaluation judges such a window on numbers.
   */
  readonly window?: (appId: string, metricType: string, start: bigint, end: bigint, into: MetricWindow) => boolean;
}

/** The part of a structured logger the pipelines use; the service's pino logger is one. */
export interface Logger {
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}
