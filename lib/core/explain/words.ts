import type { Operator } from '../model/policy.ts';
import { NS_PER_MS } from '../time/ns.ts';

/** `10:42:10 UTC` for an ns instant: the time of day a person compares with their own logs. */
export const clockTime = (ns: bigint): string => `${new Date(Number(ns / NS_PER_MS)).toISOString().slice(11, 19)} UTC`;

/** How an operator reads in a sentence: `cpu was above 70 %`. */
export const operatorWords = (operator: string): string => {
  switch (operator as Operator) {
    case '>':
      return 'above';
    case '>=':
      return 'at or above';
    case '<':
      return 'below';
    case '<=':
      return 'at or below';
    default:
      return `${operator}`;
  }
};

/** The opposite side, for the value that broke the condition: `64 % is below the threshold`. */
export const failedSide = (operator: string): string =>
  operator === '>' || operator === '>=' ? 'below' : operator === '<' || operator === '<=' ? 'above' : 'outside';

/** A value with its unit as people write it: `70 %`, `512 MB`, `200 ms`, `12 rps`. */
export const withUnit = (value: string | bigint, unit: string): string => {
  if (unit === '' || unit === undefined) return `${value}`;
  return unit === 'percentage' || unit === '%' ? `${value} %` : `${value} ${unit}`;
};

/** `once`, `twice`, `3 times`. */
export const times = (n: number): string => (n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`);

/** Whole seconds between two ns instants, never negative. */
export const secondsBetween = (from: bigint, to: bigint): number =>
  to <= from ? 0 : Number((to - from) / 1_000_000_000n);

const STATUS = /status code (\d{3})/;

/**
 * `log-cache answered 404 (token rejected) twice, the last at 10:43:01 UTC; …` for the failed reads
 * behind missing data, with what to check.
 */
export const describeReadFailures = (message: string, failures: number, at: bigint): string => {
  const status = STATUS.exec(message)?.[1];
  const when = `${times(failures)}, the last at ${clockTime(at)}`;
  if (status === '401' || status === '404' || message.startsWith('failed to refresh token'))
    return `log-cache answered ${status ?? 'with no usable token'} (token rejected) ${when}; check the UAA client and its logs.admin scope`;
  if (status !== undefined) return `log-cache answered ${status} ${when}: ${message}`;
  return `log-cache reads failed ${when}: ${message}`;
};
