import type { Sql } from 'postgres';
import type { PolicyRow } from '../../core/model/policy.ts';
import { withDeadline } from '../db/with-deadline.ts';

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
