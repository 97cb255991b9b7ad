import type { Operator } from '../model/policy.ts';

const OPERATORS: readonly string[] = ['>', '>=', '<', '<='];

export const isOperator = (op: string): op is Operator => OPERATORS.includes(op);

/** Whether `value OP threshold` holds, compared as int64 integers. */
export const satisfies = (value: bigint, op: Operator, threshold: bigint): boolean => {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
};
