import { parse as parseBigIntJson, stringify } from '../core/json/bigint-json.ts';
import type { Policy } from '../core/model/policy.ts';
import { parsePolicy } from '../core/policy/parse-policy.ts';
import { errorText } from '../core/error-text.ts';

/**
 * The `--policy` file: either one stored policy (docs/anchor-compatibility.md#policy-json) applied
 * to every app in the recording, or an object mapping app ids to stored policies.
 */
export type ReplayPolicies =
  | { readonly kind: 'shared'; readonly text: string }
  | { readonly kind: 'per-app'; readonly texts: ReadonlyMap<string, string> };

export type PolicyFileResult =
  | { readonly ok: true; readonly policies: ReplayPolicies }
  | { readonly ok: false; readonly reason: string };

const POLICY_KEYS = new Set(['instance_min_count', 'instance_max_count', 'scaling_rules', 'schedules']);

const describe = (value: unknown): string =>
  Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;

/** Reads the policy file's text; every problem is a reason naming the app or key at fault. */
export const parsePolicyFile = (text: string): PolicyFileResult => {
  let json: unknown;
  try {
    json = parseBigIntJson(text);
  } catch (err) {
    return { ok: false, reason: `not valid JSON: ${errorText(err)}` };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    return { ok: false, reason: `expected a JSON object, got ${describe(json)}` };
  const keys = Object.keys(json);
  if (keys.length === 0 || keys.some((k) => POLICY_KEYS.has(k.toLowerCase()))) {
    const checked = parsePolicy('policy-file', text);
    return checked.ok ? { ok: true, policies: { kind: 'shared', text } } : { ok: false, reason: checked.reason };
  }
  const texts = new Map<string, string>();
  for (const [appId, value] of Object.entries(json)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return {
        ok: false,
        reason: `app ${appId}: expected a policy object, got ${describe(value)} (a file for every app needs instance_min_count or scaling_rules at the top)`,
      };
    }
    const policyText = stringify(value);
    const checked = parsePolicy(appId, policyText);
    if (!checked.ok) return { ok: false, reason: `app ${appId}: ${checked.reason}` };
    texts.set(appId, policyText);
  }
  return { ok: true, policies: { kind: 'per-app', texts } };
};

/** The parsed policy of one app, or undefined when the file has none for it. */
export const policyFor = (policies: ReplayPolicies, appId: string): Policy | undefined => {
  const text = policies.kind === 'shared' ? policies.text : policies.texts.get(appId);
  if (text === undefined) return undefined;
  const parsed = parsePolicy(appId, text);
  return parsed.ok ? parsed.policy : undefined;
};

/** The scaling engine's bounds from a policy; a missing maximum (0) leaves the count unbounded above. */
export const instanceLimits = (policy: Policy): { min: number; max: number } => {
  const min = Math.max(1, policy.instanceMinCount);
  return { min, max: policy.instanceMaxCount >= min ? policy.instanceMaxCount : Number.MAX_SAFE_INTEGER };
};
