import type { Policy, PolicyRow } from '../model/policy.ts';
import { parsePolicy } from './parse-policy.ts';

export interface PolicyMap {
  readonly policies: ReadonlyMap<string, Policy>;
  /**
   * Owned apps whose policy could not be parsed; each is left out alone
   * (docs/anchor-compatibility.md#policy-parsing).
   */
  readonly rejected: { appId: string; reason: string }[];
  readonly warnings: { appId: string; warning: string }[];
}

/**
 * The policy map of this instance (docs/anchor-compatibility.md#policy-refresh): every owned app
 * whose policy parsed, including apps with zero rules. Apps outside the shard are not parsed at
 * all.
 */
export const buildPolicyMap = (rows: readonly PolicyRow[], owns: (appId: string) => boolean): PolicyMap => {
  const policies = new Map<string, Policy>();
  const rejected: PolicyMap['rejected'] = [];
  const warnings: PolicyMap['warnings'] = [];
  for (const row of rows) {
    if (!owns(row.appId)) continue;
    const parsed = parsePolicy(row.appId, row.policyJson);
    if (!parsed.ok) {
      rejected.push({ appId: row.appId, reason: parsed.reason });
      continue;
    }
    policies.set(row.appId, parsed.policy);
    for (const warning of parsed.warnings) warnings.push({ appId: row.appId, warning });
  }
  return { policies, rejected, warnings };
};
