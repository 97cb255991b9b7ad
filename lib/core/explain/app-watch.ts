import type { JournalEntry } from '../model/decision-journal.ts';

/** Where one rule stood at its last evaluation. */
export type RulePhase = 'breaching' | 'not-breaching' | 'no-data';

export interface RuleWatch {
  phase: RulePhase;
  /** ns: when the rule entered this phase. */
  since: bigint;
  /** ns: its last evaluation (or journal entry). */
  at: bigint;
  /** Set while the rule's phases have not been journaled yet (see the decision watcher). */
  quiet?: true;
}

export interface BreakerWatch {
  state: 'closed' | 'open' | 'half-open';
  failures: number;
  openedAt?: bigint;
  /** ns: a trial call is allowed strictly after this instant (known once a breach was held). */
  retryAfter?: bigint;
  lastError?: string;
}

export interface DataWatch {
  /** ns: the newest envelope of the last successful log-cache read. */
  newestEnvelopeAt?: bigint;
  lastReadAt?: bigint;
  /** App instances that sent gauges in the last read that had any. */
  instances?: number;
  /** Failed log-cache reads in a row, and the last one. */
  readFailures: number;
  lastReadError?: { readonly at: bigint; readonly message: string };
  /** The unit of each metric type, from its app metrics. */
  readonly units: Map<string, string>;
}

/**
 * What the service knows about one app's decisions: built live from the Decision stream on the
 * instance that owns the app, or folded from the journal anywhere else (`watchFromJournal`).
 */
export interface AppWatch {
  readonly appId: string;
  readonly rules: Map<number, RuleWatch>;
  cooldownUntil?: bigint;
  /** ns: the last answer that changed the instance count. */
  lastScaledAt?: bigint;
  breaker: BreakerWatch;
  /** The kind of the first hold since the last call or state change; later holds of that kind are not journaled. */
  hold?: 'cooldown' | 'breaker' | 'bound';
  /** Set while the scaling engine's last answer was "ignored" with the app at a policy bound. */
  bound?: { readonly at: bigint; readonly ruleIndex?: number; readonly side: 'max' | 'min' };
  lastCall?: {
    readonly at: bigint;
    readonly ruleIndex?: number;
    readonly metricType: string;
    readonly adjustment: string;
  };
  readonly data: DataWatch;
  lastEntry?: JournalEntry;
}

export const emptyWatch = (appId: string): AppWatch => ({
  appId,
  rules: new Map(),
  breaker: { state: 'closed', failures: 0 },
  data: { readFailures: 0, units: new Map() },
});

const setPhase = (watch: AppWatch, entry: JournalEntry, phase: RulePhase): void => {
  if (entry.ruleIndex === undefined) return;
  const before = watch.rules.get(entry.ruleIndex);
  watch.rules.set(entry.ruleIndex, {
    phase,
    since: before?.phase === phase ? before.since : entry.at,
    at: entry.at,
  });
};

/**
 * The one fold from journal entries to a watch. The live watcher applies the entries it journals
 * through it too, so an instance that reads the journal sees what the owner saw.
 */
export const applyEntry = (watch: AppWatch, entry: JournalEntry): void => {
  const d = entry.detail;
  switch (entry.event) {
    case 'breach-started':
      setPhase(watch, entry, 'breaching');
      break;
    case 'breach-ended':
      setPhase(watch, entry, 'not-breaching');
      if (watch.bound?.ruleIndex === entry.ruleIndex) delete watch.bound;
      delete watch.hold;
      break;
    case 'data-missing':
      setPhase(watch, entry, 'no-data');
      if (d.readFailures !== undefined) watch.data.readFailures = d.readFailures;
      if (d.lastReadError !== undefined) watch.data.lastReadError = { at: entry.at, message: d.lastReadError };
      break;
    case 'data-resumed':
      setPhase(watch, entry, 'not-breaching');
      watch.data.readFailures = 0;
      break;
    case 'scaling-sent':
      watch.lastCall = {
        at: entry.at,
        ...(entry.ruleIndex !== undefined ? { ruleIndex: entry.ruleIndex } : {}),
        metricType: entry.metricType ?? '',
        adjustment: d.ruleAdjustment ?? '',
      };
      if (watch.hold !== 'bound') delete watch.hold;
      break;
    case 'scaling-answered':
      if (d.ok) {
        if (d.cooldownUntil !== undefined) watch.cooldownUntil = d.cooldownUntil;
        if (d.adjustment !== undefined && d.adjustment !== 0) {
          watch.lastScaledAt = entry.at;
          delete watch.bound;
          if (watch.hold === 'bound') delete watch.hold;
        }
      } else if (d.error !== undefined) watch.breaker.lastError = d.error;
      if (d.consecutiveFailures !== undefined) watch.breaker.failures = d.consecutiveFailures;
      break;
    case 'bound-hold':
      watch.hold = 'bound';
      watch.bound = {
        at: entry.at,
        ...(entry.ruleIndex !== undefined ? { ruleIndex: entry.ruleIndex } : {}),
        side: d.bound ?? 'max',
      };
      break;
    case 'cooldown-hold':
      watch.hold = 'cooldown';
      if (d.cooldownUntil !== undefined) watch.cooldownUntil = d.cooldownUntil;
      break;
    case 'breaker-hold':
      watch.hold = 'breaker';
      if (d.retryAfter !== undefined) watch.breaker.retryAfter = d.retryAfter;
      if (watch.breaker.state === 'closed') watch.breaker.state = 'open';
      break;
    case 'breaker-opened':
      watch.breaker.state = 'open';
      watch.breaker.openedAt = entry.at;
      delete watch.breaker.retryAfter;
      if (d.retryAfter !== undefined) watch.breaker.retryAfter = d.retryAfter;
      if (d.consecutiveFailures !== undefined) watch.breaker.failures = d.consecutiveFailures;
      if (d.error !== undefined) watch.breaker.lastError = d.error;
      break;
    case 'breaker-closed':
      watch.breaker = { state: 'closed', failures: 0 };
      if (watch.hold === 'breaker') delete watch.hold;
      break;
  }
  watch.lastEntry = entry;
};

/** An app's watch rebuilt from its journal entries, oldest first. */
export const watchFromJournal = (appId: string, entries: readonly JournalEntry[]): AppWatch => {
  const watch = emptyWatch(appId);
  for (const entry of entries) applyEntry(watch, entry);
  return watch;
};
