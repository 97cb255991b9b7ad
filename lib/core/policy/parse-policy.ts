import type { Policy, ScalingRule } from '../model/policy.ts';
import { decode, JsonShapeError, parseKeepingNumbers } from './go-json.ts';
import type { Decoded, DecodedObject, Shape } from './go-json.ts';
import { isOperator } from './operator.ts';
import { errorText } from '../error-text.ts';

export type ParsedPolicy =
  | { readonly ok: true; readonly policy: Policy; readonly warnings: string[] }
  | { readonly ok: false; readonly reason: string };

const ruleShape: Shape = {
  fields: {
    metric_type: 'string',
    breach_duration_secs: 'int',
    threshold: 'int',
    operator: 'string',
    cool_down_secs: 'int',
    adjustment: 'string',
  },
};

const scheduleFields = {
  instance_min_count: 'int',
  instance_max_count: 'int',
  initial_min_instance_count: 'int',
} as const;

/**
 * The EG ignores schedules, but Go still type-checks them, so a bad schedule fails the whole policy
 * (docs/anchor-compatibility.md#policy-parsing).
 */
const schedulesShape: Shape = {
  fields: {
    timezone: 'string',
    recurring_schedule: {
      items: {
        fields: {
          start_time: 'string',
          end_time: 'string',
          days_of_week: { items: 'int' },
          days_of_month: { items: 'int' },
          start_date: 'string',
          end_date: 'string',
          ...scheduleFields,
        },
      },
    },
    specific_date: { items: { fields: { start_date_time: 'string', end_date_time: 'string', ...scheduleFields } } },
  },
};

const policyShape: Shape = {
  fields: {
    instance_min_count: 'int',
    instance_max_count: 'int',
    scaling_rules: { items: ruleShape },
    schedules: schedulesShape,
  },
};

const str = (v: Decoded): string => (typeof v === 'string' ? v : '');
const big = (v: Decoded): bigint => (typeof v === 'bigint' ? v : 0n);
const int = (v: Decoded): number => Number(big(v));

const toRule = (r: DecodedObject): ScalingRule => ({
  metricType: str(r.metric_type),
  breachDurationSecs: int(r.breach_duration_secs),
  threshold: big(r.threshold),
  operator: str(r.operator),
  coolDownSecs: int(r.cool_down_secs),
  adjustment: str(r.adjustment),
});

/**
 * Parses one `policy_json` text as the anchor's Go decoder would
 * (docs/anchor-compatibility.md#policy-parsing), except that it never crashes: SQL NULL is rejected
 * for this app only, and null rules are skipped with a warning. Rules with an invalid operator are
 * kept; evaluation skips them (docs/anchor-compatibility.md#evaluation).
 */
export const parsePolicy = (appId: string, text: string | null): ParsedPolicy => {
  if (text === null) return { ok: false, reason: 'policy_json is SQL NULL' };
  let json: unknown;
  try {
    json = parseKeepingNumbers(text);
  } catch (err) {
    return { ok: false, reason: `policy_json is not valid JSON: ${errorText(err)}` };
  }
  let doc: Decoded;
  try {
    doc = decode(json, policyShape);
  } catch (err) {
    if (err instanceof JsonShapeError)
      return { ok: false, reason: `policy_json does not match the policy format: ${err.message}` };
    throw err;
  }
  const top = (doc ?? {}) as DecodedObject;
  const warnings: string[] = [];
  const rules: ScalingRule[] = [];
  const rawRules = Array.isArray(top.scaling_rules) ? top.scaling_rules : [];
  rawRules.forEach((raw, i) => {
    if (raw === undefined) {
      warnings.push(`scaling_rules[${i}] is null; skipped`);
      return;
    }
    const rule = toRule(raw as DecodedObject);
    if (!isOperator(rule.operator)) {
      warnings.push(
        `scaling_rules[${i}].operator ${JSON.stringify(rule.operator)} is not one of <, <=, >, >=; the rule will be skipped at evaluation`,
      );
    }
    rules.push(rule);
  });
  return {
    ok: true,
    policy: {
      appId,
      instanceMinCount: int(top.instance_min_count),
      instanceMaxCount: int(top.instance_max_count),
      rules,
    },
    warnings,
  };
};
