import type { Operator, Policy } from '../core/model/policy.ts';
import { isOperator, satisfies } from '../core/policy/operator.ts';

/** One yardstick of pressure: a metric beyond a value (`cpu>70`). */
export interface Pressure {
  readonly metricType: string;
  readonly operator: Operator;
  readonly threshold: bigint;
}

const PRESSURE = /^\s*([A-Za-z0-9_-]+)\s*(>=|<=|>|<)\s*(-?\d+)\s*$/;

/** Reads `--pressure 'cpu>70'`; throws an Error naming the fault. */
export const parsePressure = (text: string): Pressure => {
  const m = PRESSURE.exec(text);
  if (!m)
    throw new Error(
      `--pressure ${JSON.stringify(text)}: expected <metric><op><whole number> with op one of > >= < <=, e.g. cpu>70`,
    );
  return { metricType: m[1]!, operator: m[2] as Operator, threshold: BigInt(m[3]!) };
};

export const describePressure = (p: Pressure): string => `${p.metricType} ${p.operator} ${p.threshold}`;

/** The default yardstick: the base policy's scale-out rules (those whose adjustment adds instances). */
export const pressureOfPolicy = (policy: Policy): Pressure[] => {
  const seen = new Set<string>();
  const out: Pressure[] = [];
  for (const rule of policy.rules) {
    if (!rule.adjustment.startsWith('+') || !isOperator(rule.operator)) continue;
    const p = { metricType: rule.metricType, operator: rule.operator, threshold: rule.threshold };
    const key = describePressure(p);
    if (!seen.has(key)) out.push(p);
    seen.add(key);
  }
  return out;
};

const INTEGER = /^-?\d+$/;

/** Whether an app-metric value stands beyond the yardstick; empty or non-integer values do not. */
export const underPressure = (p: Pressure, value: string): boolean =>
  INTEGER.test(value) && satisfies(BigInt(value), p.operator, p.threshold);
