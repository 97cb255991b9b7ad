import type { Logger } from './logger.ts';
import type { Decision } from '../../core/model/decision.ts';
import type { Trigger } from '../../core/model/policy.ts';

const iso = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString();
const seconds = (ns: bigint): string => `${Number(ns / 1_000_000n) / 1000}s`;
const list = (values: readonly string[] | undefined): string =>
  `[${(values ?? []).map((v) => (v === '' ? '""' : v)).join(', ')}]`;

const ruleText = (t: Trigger, index?: number): string =>
  `${index === undefined ? 'rule' : `rule #${index}`} (${t.metricType} ${t.operator} ${t.threshold}${t.metricUnit} for ${t.breachDurationSecs}s, adjustment ${t.adjustment})`;

const ruleFields = (t: Trigger, index?: number) => ({
  rule: {
    index,
    metricType: t.metricType,
    operator: t.operator,
    threshold: t.threshold.toString(),
    metricUnit: t.metricUnit,
    breachDurationSecs: t.breachDurationSecs,
    coolDownSecs: t.coolDownSecs,
    adjustment: t.adjustment,
  },
});

/**
 * Writes one line per decision that says why: the app, the rule, the values seen and the
 * threshold, and what held a breach back (cooldown until when, breaker until when). No-breach and
 * metric lines are debug, and so are breaches (the call, hold or breaker line that follows repeats
 * them) and cooldown holds (repeated on every metric while an app cools down); failures and skipped
 * rules warn; the rest is info.
 */
export const logDecision = (logger: Logger, d: Decision): void => {
  const base = { decision: d.kind, at: d.at.toString() };
  switch (d.kind) {
    case 'metric':
      logger.debug(
        { ...base, appId: d.metric.appId, metricType: d.metric.name, value: d.metric.value, unit: d.metric.unit },
        `app ${d.metric.appId} metric ${d.metric.name} = ${d.metric.value}${d.metric.unit}`,
      );
      return;
    case 'breach':
      // The line that follows (call, cooldown hold or breaker) repeats the values and says what happened.
      logger.debug(
        { ...base, appId: d.appId, ...ruleFields(d.trigger, d.ruleIndex), values: d.values },
        `app ${d.appId} ${ruleText(d.trigger, d.ruleIndex)} breached: every value of the breach window ${list(d.values)} is ${d.trigger.operator} ${d.trigger.threshold}`,
      );
      return;
    case 'no-breach':
      logger.debug(
        {
          ...base,
          appId: d.appId,
          rule: { index: d.ruleIndex, metricType: d.metricType },
          reason: d.reason,
          values: d.values,
        },
        `app ${d.appId} rule #${d.ruleIndex} (${d.metricType}) not breached: ${d.reason}; values ${list(d.values)}`,
      );
      return;
    case 'rule-skipped':
      logger.warn(
        { ...base, appId: d.appId, rule: { index: d.ruleIndex }, reason: d.reason },
        `app ${d.appId} rule #${d.ruleIndex} skipped: ${d.reason}`,
      );
      return;
    case 'cooldown-hold':
      // Debug: an app in cooldown breaches on every metric; the call that started the cooldown was info.
      logger.debug(
        {
          ...base,
          appId: d.appId,
          ...ruleFields(d.trigger, d.ruleIndex),
          values: d.values ?? [],
          cooldownUntil: d.cooldownUntil.toString(),
        },
        `app ${d.appId} ${ruleText(d.trigger, d.ruleIndex)} breached with values ${list(d.values)} but no scaling call: app in cooldown until ${iso(d.cooldownUntil)} (${seconds(d.cooldownUntil - d.at)} left)`,
      );
      return;
    case 'breaker-open':
      logger.info(
        {
          ...base,
          appId: d.appId,
          ...ruleFields(d.trigger, d.ruleIndex),
          values: d.values ?? [],
          retryAfter: d.retryAfter.toString(),
        },
        `app ${d.appId} ${ruleText(d.trigger, d.ruleIndex)} breached with values ${list(d.values)} but no scaling call: circuit breaker open, next trial after ${iso(d.retryAfter)} (${seconds(d.retryAfter - d.at)} from now)`,
      );
      return;
    case 'breaker-state': {
      const line = `app ${d.appId} circuit breaker ${d.state} after ${d.consecutiveFailures} consecutive failure(s)`;
      if (d.state === 'open')
        logger.warn({ ...base, appId: d.appId, state: d.state, consecutiveFailures: d.consecutiveFailures }, line);
      else logger.info({ ...base, appId: d.appId, state: d.state, consecutiveFailures: d.consecutiveFailures }, line);
      return;
    }
    case 'scaling-call':
      logger.info(
        { ...base, appId: d.appId, ...ruleFields(d.trigger, d.ruleIndex), values: d.values ?? [] },
        `app ${d.appId} ${ruleText(d.trigger, d.ruleIndex)} breached: every value of the breach window ${list(d.values)} is ${d.trigger.operator} ${d.trigger.threshold}; sending the trigger to the scaling engine`,
      );
      return;
    case 'scaling-result': {
      const fields = {
        ...base,
        appId: d.appId,
        ...ruleFields(d.trigger),
        ok: d.ok,
        status: d.status,
        cooldownExpiredAt: d.cooldownExpiredAt?.toString(),
        adjustment: d.adjustment,
        error: d.error,
      };
      if (!d.ok) {
        logger.warn(
          fields,
          `app ${d.appId} scaling call failed${d.status === undefined ? '' : ` with status ${d.status}`}: ${d.error ?? 'unknown error'}`,
        );
        return;
      }
      const cooldown = d.cooldownExpiredAt === undefined ? 'no cooldown' : `cooldown until ${iso(d.cooldownExpiredAt)}`;
      const adjusted = d.adjustment === undefined ? '' : `, instances ${d.adjustment >= 0 ? '+' : ''}${d.adjustment}`;
      logger.info(fields, `app ${d.appId} scaling engine answered ${d.status ?? ''}${adjusted}; ${cooldown}`);
      return;
    }
  }
};
