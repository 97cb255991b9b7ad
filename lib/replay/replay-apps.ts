import type { Envelope } from '../core/model/envelope.ts';
import type { Policy } from '../core/model/policy.ts';
import { instanceLimits, policyFor } from './replay-policies.ts';
import type { ReplayPolicies } from './replay-policies.ts';

export interface ReplayApps {
  /** The policy map so far: every app of a per-app file, and the recording's apps under a shared policy. */
  readonly policies: ReadonlyMap<string, Policy>;
  readonly appNames: ReadonlyMap<string, string>;
  /** Sources that no policy covers, in order of appearance. */
  readonly unmatched: readonly string[];
  /** Notes the envelope's source; true when it added an app to the policy map. */
  observe(envelope: Envelope): boolean;
  /** Notes a source seen for the first time (observe's first part); true when it added an app. */
  observeSource(appId: string): boolean;
  /** Notes an app's name, kept when it is the first one seen. */
  observeName(appId: string, name: string): void;
  limits(appId: string): { min: number; max: number } | undefined;
  initialInstances(appId: string): number;
}

/**
 * The apps of a replay as they show up in the recording. A shared policy is applied to each new
 * source on its first envelope, which is also when its name is learnt from the `app_name` tag.
 */
export const createReplayApps = (source: ReplayPolicies, initial?: number): ReplayApps => {
  const policies = new Map<string, Policy>();
  const appNames = new Map<string, string>();
  const unmatched: string[] = [];
  const seen = new Set<string>();
  const adopt = (appId: string): boolean => {
    const policy = policyFor(source, appId);
    if (policy) policies.set(appId, policy);
    return policy !== undefined;
  };
  if (source.kind === 'per-app') for (const appId of source.texts.keys()) adopt(appId);

  const limits = (appId: string) => {
    const policy = policies.get(appId);
    return policy ? instanceLimits(policy) : undefined;
  };
  const observeName = (appId: string, name: string): void => {
    if (!appNames.has(appId)) appNames.set(appId, name);
  };
  const observeSource = (appId: string): boolean => {
    if (seen.has(appId)) return false;
    seen.add(appId);
    if (policies.has(appId)) return false;
    if (adopt(appId)) return true;
    unmatched.push(appId);
    return false;
  };
  return {
    policies,
    appNames,
    unmatched,
    limits,
    observeName,
    observeSource,
    initialInstances(appId) {
      const bounds = limits(appId) ?? { min: 1, max: Number.MAX_SAFE_INTEGER };
      return Math.min(bounds.max, Math.max(bounds.min, initial ?? bounds.min));
    },
    observe(envelope) {
      const name = envelope.tags['app_name'];
      if (name) observeName(envelope.sourceId, name);
      return observeSource(envelope.sourceId);
    },
  };
};
