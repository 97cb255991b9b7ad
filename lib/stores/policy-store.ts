import type { Sql } from 'postgres';

/** A raw row of `policy_json`; the text is parsed (and may be rejected) by the policy model. */
export interface PolicyRow {
  readonly appId: string;
  /** The stored JSON text, or null for an SQL NULL. */
  readonly policyJson: string | null;
}

export interface PolicyStore {
  retrievePolicies(): Promise<PolicyRow[]>;
}

export const createPolicyStore = (sql: Sql): PolicyStore => ({
  async retrievePolicies() {
    // ::text keeps the stored bytes: the policy parser, not the driver, decides what is valid.
    const rows = await sql<{ app_id: string; policy_json: string | null }[]>`
      SELECT app_id, policy_json::text AS policy_json FROM policy_json`;
    return rows.map((r) => ({ appId: r.app_id, policyJson: r.policy_json }));
  },
});
