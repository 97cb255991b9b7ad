import type { Sql } from 'postgres';
import { withDeadline } from '../db/with-deadline.ts';

/** A raw row of `policy_json`; the text is parsed (and may be rejected) by the policy model. */
export interface PolicyRow {
  readonly appId: string;
  /** The stored JSON text, or null for an SQL NULL. */
  readonly policyJson: string | null;
}

export interface PolicyStore {
  retrievePolicies(): Promise<PolicyRow[]>;
}

export const createPolicyStore = (sql: Sql, options: { readonly deadlineMs?: number } = {}): PolicyStore => ({
  async retrievePolicies() {
    // ::text keeps the stored bytes: the policy parser, not the driver, decides what is valid.
    // The deadline turns a query the driver lost (see with-deadline.ts) into a failed poll that is retried.
    const rows = await withDeadline(
      sql<{ app_id: string; policy_json: string | null }[]>`
      SELECT app_id, policy_json::text AS policy_json FROM policy_json`,
      options.deadlineMs ?? 30_000,
      'reading policy_json',
    );
    return rows.map((r) => ({ appId: r.app_id, policyJson: r.policy_json }));
  },
});
