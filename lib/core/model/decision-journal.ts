import type { SortOrder } from './app-metric.ts';

/**
 * What the decision journal records: a change in what the service does about an app, never a plain
 * repeat of the last evaluation.
 */
export type JournalEvent =
  | 'breach-started'
  | 'breach-ended'
  | 'scaling-sent'
  | 'scaling-answered'
  | 'cooldown-hold'
  | 'breaker-hold'
  | 'bound-hold'
  | 'breaker-opened'
  | 'breaker-closed'
  | 'data-missing'
  | 'data-resumed';

export const JOURNAL_EVENTS: readonly JournalEvent[] = [
  'breach-started',
  'breach-ended',
  'scaling-sent',
  'scaling-answered',
  'cooldown-hold',
  'breaker-hold',
  'bound-hold',
  'breaker-opened',
  'breaker-closed',
  'data-missing',
  'data-resumed',
];

/** The facts an entry carries beyond its sentence; each present only where it applies. */
export interface JournalDetail {
  /** ns: the cooldown in force after a scaling answer or at a cooldown hold. */
  readonly cooldownUntil?: bigint;
  /** ns: a trial call is allowed strictly after this instant. */
  readonly retryAfter?: bigint;
  readonly consecutiveFailures?: number;
  /** Whether the scaling engine answered with a success (HTTP 200 and a result). */
  readonly ok?: boolean;
  /** HTTP status of the scaling call. */
  readonly status?: number;
  /** The scaling engine's verdict: 0 scaled, 1 failed, 2 ignored. */
  readonly scalingStatus?: number;
  /** New instances minus old ones, as the scaling engine said. */
  readonly adjustment?: number;
  /** The policy bound the app stands at when the scaling engine ignored the trigger. */
  readonly bound?: 'max' | 'min';
  readonly error?: string;
  /** The rule's adjustment text (`+1`, `-20%`) when a trigger is involved. */
  readonly ruleAdjustment?: string;
  /** Log-cache failures in a row, and the last one's text, when data went missing. */
  readonly readFailures?: number;
  readonly lastReadError?: string;
}

export interface JournalEntry {
  readonly appId: string;
  /** ns since the epoch. */
  readonly at: bigint;
  readonly event: JournalEvent;
  /** The rule's index in the policy; absent for what concerns the whole app (breaker). */
  readonly ruleIndex?: number;
  readonly metricType?: string;
  /** The app-metric values the decision looked at, oldest first. */
  readonly values: readonly string[];
  /** One sentence a person can act on. */
  readonly reason: string;
  readonly detail: JournalDetail;
}

export interface PruneResult {
  /** Rows older than the retention. */
  readonly expired: number;
  /** Rows beyond the per-app cap (oldest first). */
  readonly overCap: number;
}

/** The journal's storage port: appends in batches, reads one app's range, prunes. */
export interface DecisionJournal {
  /** Appends the entries in one statement; throws only when the database fails. */
  append(entries: readonly JournalEntry[]): Promise<number>;
  /** One app's entries with start <= at <= end (end < 0 means now), in `order`, at most `limit`. */
  read(appId: string, start: bigint, end: bigint, order: SortOrder, limit?: number): Promise<JournalEntry[]>;
  /** Deletes rows at or before `before` and, per app, all but the newest `maxRowsPerApp`. */
  prune(before: bigint, maxRowsPerApp: number): Promise<PruneResult>;
}
