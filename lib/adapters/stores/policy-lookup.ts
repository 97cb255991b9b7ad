import type { Sql } from 'postgres';
import type { Policy } from '../../core/model/policy.ts';
import { parsePolicy } from '../../core/policy/parse-policy.ts';
import { withDeadline } from '../db/with-deadline.ts';

export type PolicyLookup =
  | { readonly found: false }
  | { readonly found: true; readonly ok: false; readonly reason: string }
  | { readonly found: true; readonly ok: true; readonly policy: Policy };

/** One app's policy from `policy_json`, parsed as the poller parses it; any instance can ask. */
export const createPolicyLookup =
  (sql: Sql, options: { readonly deadlineMs?: number } = {}) =>
  async (appId: string): Promise<PolicyLookup> => {
    const rows = await withDeadline(
      sql<
        { policy_json: string | null }[]
      >`SELECT policy_json::text AS policy_json FROM policy_json WHERE app_id = ${appId}`,
      options.deadlineMs ?? 10_000,
      'reading a policy',
    );
    const row = rows[0];
    if (row === undefined) return { found: false };
    const parsed = parsePolicy(appId, row.policy_json);
    return parsed.ok
      ? { found: true, ok: true, policy: parsed.policy }
      : { found: true, ok: false, reason: parsed.reason };
  };
