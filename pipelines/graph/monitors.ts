import type { Monitors, Policy } from '../../lib/core/model/policy.ts';

/**
 * appId → the distinct metric types its rules need, in first-seen order (one monitor per type);
 * apps without rules are left out, so nothing is read for them.
 */
export const monitorsOf = (policies: ReadonlyMap<string, Policy>): Monitors => {
  const monitors = new Map<string, readonly string[]>();
  for (const [appId, policy] of policies) {
    const types = [...new Set(policy.rules.map((r) => r.metricType))];
    if (types.length > 0) monitors.set(appId, types);
  }
  return monitors;
};
