import { toBigInt } from '../../core/json/bigint-json.ts';
import { clockTime } from '../../core/explain/words.ts';

/** The fields of `GET /v1/apps/{appid}/explain` the text shows, as parsed from its JSON. */
interface WireExplanation {
  readonly app_id: string;
  readonly at: unknown;
  readonly source: string;
  readonly owner: {
    readonly member_id: string | null;
    readonly instance_index: number | null;
    readonly this_instance: boolean;
    readonly cf_app_instance?: string;
  };
  readonly instance_min_count: number;
  readonly instance_max_count: number;
  readonly rules: readonly {
    readonly metric_type: string;
    readonly operator: string;
    readonly threshold: unknown;
    readonly breach_duration_secs: number;
    readonly values: readonly { readonly value: string }[];
    readonly state: string;
    readonly breach_progress_secs: { readonly held: number; readonly required: number };
    readonly reason: string;
  }[];
  readonly cooldown: { readonly active: boolean; readonly until: unknown };
  readonly breaker: {
    readonly state: string;
    readonly consecutive_failures: number;
    readonly open_until: unknown;
    readonly last_error: string | null;
  };
  readonly data: {
    readonly newest_envelope_age_secs: number | null;
    readonly newest_metric_at: unknown;
    readonly last_logcache_error: { readonly at: unknown; readonly message: string; readonly failures: number } | null;
  };
  readonly last_decision: { readonly at: unknown; readonly event: string; readonly reason: string } | null;
}

interface WireEntry {
  readonly timestamp: unknown;
  readonly event: string;
  readonly rule_index: number | null;
  readonly reason: string;
}

const time = (value: unknown): string => {
  const ns = toBigInt(value);
  return ns === undefined ? '?' : clockTime(ns);
};

const ownerLine = (e: WireExplanation): string => {
  const o = e.owner;
  if (o.member_id === null) return 'owner: no instance owns this app right now';
  const who = `member ${o.member_id}${o.instance_index !== null ? `, instance ${o.instance_index}` : ''}`;
  if (o.this_instance) return `owner: ${who} (the instance that answered)`;
  const reach = o.cf_app_instance ? `; to ask it directly add --header "X-Cf-App-Instance: ${o.cf_app_instance}"` : '';
  return `owner: ${who}; the instance that answered does not own the app and read its journal${reach}`;
};

/** The explanation as lines a person reads when paged. */
export const renderExplanation = (e: WireExplanation): string[] => {
  const lines = [
    `app ${e.app_id} at ${time(e.at)} (${e.source === 'live' ? "the owner's live state" : 'from the decision journal'}), instances ${e.instance_min_count}..${e.instance_max_count}`,
    ownerLine(e),
  ];
  e.rules.forEach((r, i) => {
    const progress = r.breach_progress_secs;
    lines.push(
      '',
      `rule ${i + 1}: ${r.metric_type} ${r.operator} ${String(r.threshold)} for ${r.breach_duration_secs} s: ${r.state.toUpperCase()} (held ${progress.held} of ${progress.required} s)`,
      `  ${r.reason}`,
      `  values: ${r.values.length === 0 ? 'none in the breach window' : r.values.map((v) => v.value || '(empty)').join(' ')}`,
    );
  });
  lines.push(
    '',
    `cooldown: ${e.cooldown.active ? `until ${time(e.cooldown.until)}` : 'none in force'}`,
    `breaker: ${e.breaker.state}${e.breaker.consecutive_failures > 0 ? `, ${e.breaker.consecutive_failures} failure(s) in a row` : ''}${e.breaker.open_until !== null ? `, next trial after ${time(e.breaker.open_until)}` : ''}${e.breaker.last_error ? `; last error: ${e.breaker.last_error}` : ''}`,
    `data: ${e.data.newest_envelope_age_secs !== null ? `newest envelope ${e.data.newest_envelope_age_secs} s old` : 'no envelope seen by this instance'}${e.data.newest_metric_at !== null ? `, newest app metric at ${time(e.data.newest_metric_at)}` : ''}${e.data.last_logcache_error ? `; last log-cache error at ${time(e.data.last_logcache_error.at)}: ${e.data.last_logcache_error.message}` : ''}`,
    `last decision: ${e.last_decision ? `${time(e.last_decision.at)} ${e.last_decision.event}: ${e.last_decision.reason}` : 'none journaled'}`,
  );
  return lines;
};

/** The journal, oldest first, one line per entry. */
export const renderJournal = (entries: readonly WireEntry[], since: string): string[] => {
  if (entries.length === 0) return [`journal since ${since}: no state changes`];
  const width = Math.max(...entries.map((x) => x.event.length));
  return [
    `journal since ${since} (${entries.length} entries):`,
    ...entries.map(
      (x) =>
        `  ${time(x.timestamp)}  ${x.event.padEnd(width)}  ${x.rule_index !== null ? `rule ${x.rule_index + 1}  ` : ''}${x.reason}`,
    ),
  ];
};

export type { WireEntry as JournalWireEntry, WireExplanation };
