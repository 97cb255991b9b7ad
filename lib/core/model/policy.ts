export type Operator = '>' | '>=' | '<' | '<=';

/** A scaling rule as stored in `policy_json.scaling_rules[]`; the operator is checked at evaluation. */
export interface ScalingRule {
  readonly metricType: string;
  /** 0 or less means `defaultBreachDurationSecs` at evaluation time. */
  readonly breachDurationSecs: number;
  readonly threshold: bigint;
  readonly operator: string;
  readonly coolDownSecs: number;
  readonly adjustment: string;
}

export interface Policy {
  readonly appId: string;
  readonly instanceMinCount: number;
  readonly instanceMaxCount: number;
  readonly rules: readonly ScalingRule[];
}

/**
 * The body POSTed to the scaling engine (docs/anchor-compatibility.md#trigger-json): every field
 * always present.
 */
export interface Trigger {
  readonly appId: string;
  readonly metricType: string;
  readonly metricUnit: string;
  readonly breachDurationSecs: number;
  readonly threshold: bigint;
  readonly operator: string;
  readonly coolDownSecs: number;
  readonly adjustment: string;
}

/** A raw row of `policy_json`; the text is parsed (and may be rejected) by the policy model. */
export interface PolicyRow {
  readonly appId: string;
  /** The stored JSON text, or null for an SQL NULL. */
  readonly policyJson: string | null;
}

/** appId → the distinct metric types its rules need, in first-seen order: what this instance must produce. */
export type Monitors = ReadonlyMap<string, readonly string[]>;
