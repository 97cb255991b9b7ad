import { parse } from '../../lib/core/json/bigint-json.ts';

/** The parts of an explanation the specs look at (bigint fields come back as bigint or number). */
export interface WireRule {
  readonly metric_type: string;
  readonly state: string;
  readonly reason: string;
  readonly values: readonly { readonly timestamp: bigint; readonly value: string }[];
  readonly breach_progress_secs: { readonly held: number; readonly required: number };
}

export interface WireExplanation {
  readonly app_id: string;
  readonly source: 'live' | 'journal';
  readonly owner: {
    readonly member_id: string | null;
    readonly instance_index: number | null;
    readonly this_instance: boolean;
  };
  readonly rules: readonly WireRule[];
  readonly cooldown: { readonly active: boolean; readonly until: bigint | number | null };
  readonly breaker: { readonly state: string; readonly consecutive_failures: number };
  readonly data: { readonly last_logcache_error: { readonly message: string; readonly failures: number } | null };
  readonly last_decision: { readonly event: string } | null;
}

export interface WireEntry {
  readonly app_id: string;
  readonly timestamp: bigint | number;
  readonly event: string;
  readonly rule_index: number | null;
  readonly reason: string;
  readonly detail: Record<string, unknown>;
}

export const getText = async (url: string): Promise<{ status: number; body: string }> => {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
};

/** GET /v1/apps/{app}/explain on the service at `base`. */
export const explainOf = async (base: string, appId: string): Promise<WireExplanation> => {
  const { status, body } = await getText(`${base}/v1/apps/${appId}/explain`);
  if (status !== 200) throw new Error(`explain ${appId}: ${status} ${body}`);
  return parse(body) as WireExplanation;
};

/** GET /v1/apps/{app}/decisions with a raw query string. */
export const decisionsOf = async (base: string, appId: string, query = ''): Promise<WireEntry[]> => {
  const { status, body } = await getText(`${base}/v1/apps/${appId}/decisions${query}`);
  if (status !== 200) throw new Error(`decisions ${appId}: ${status} ${body}`);
  return parse(body) as WireEntry[];
};
