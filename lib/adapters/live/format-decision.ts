import { toBigInt } from '../../core/json/bigint-json.ts';
import { NS_PER_MS } from '../../core/time/ns.ts';

type Message = Readonly<Record<string, unknown>>;

/** An ns instant (number or bigint) as ISO time with ms, or '-' when absent. */
export const isoTime = (ns: unknown): string => {
  const value = toBigInt(ns);
  return value === undefined ? '-' : new Date(Number(value / NS_PER_MS)).toISOString();
};

const str = (v: unknown): string =>
  v === undefined || v === null
    ? '?'
    : typeof v === 'string'
      ? v
      : typeof v === 'bigint'
        ? v.toString()
        : JSON.stringify(v);
const rule = (t: unknown): string => {
  const trigger = (t ?? {}) as Message;
  return `${str(trigger.metricType)} ${str(trigger.operator)} ${str(trigger.threshold)} for ${str(trigger.breachDurationSecs)}s -> ${str(trigger.adjustment)}`;
};

/** The "why" of one message from the decision stream. */
const explain = (m: Message): string => {
  switch (m.kind) {
    case 'subscribed':
      return `apps ${Array.isArray(m.appIds) ? m.appIds.join(',') : 'all'}, kinds ${Array.isArray(m.kinds) ? m.kinds.join(',') : 'all'}`;
    case 'dropped':
      return `${str(m.count)} event(s) missed: this client fell behind`;
    case 'metric': {
      const metric = (m.metric ?? {}) as Message;
      return `${str(metric.name)} = ${metric.value === '' ? '(empty)' : str(metric.value)} ${str(metric.unit)}`;
    }
    case 'breach':
      return `rule ${str(m.ruleIndex)} breached: ${rule(m.trigger)}; values ${Array.isArray(m.values) ? m.values.join(',') : '?'}`;
    case 'no-breach':
      return `rule ${str(m.ruleIndex)} (${str(m.metricType)}) not breached: ${str(m.reason)}`;
    case 'rule-skipped':
      return `rule ${str(m.ruleIndex)} skipped: ${str(m.reason)}`;
    case 'cooldown-hold':
      return `in cooldown until ${isoTime(m.cooldownUntil)}; not scaling for ${rule(m.trigger)}`;
    case 'breaker-open':
      return `circuit breaker open until ${isoTime(m.retryAfter)}; not calling the scaling engine for ${rule(m.trigger)}`;
    case 'breaker-state':
      return `circuit breaker ${str(m.state)} after ${str(m.consecutiveFailures)} consecutive failure(s)`;
    case 'scaling-call':
      return `asking the scaling engine: ${rule(m.trigger)}`;
    case 'scaling-result': {
      if (m.ok === true) {
        const adjustment =
          m.adjustment === undefined ? '' : `, instances ${Number(m.adjustment) >= 0 ? '+' : ''}${str(m.adjustment)}`;
        return `scaled (HTTP ${str(m.status)})${adjustment}; cooldown until ${isoTime(m.cooldownExpiredAt)}`;
      }
      return `scaling failed${m.status === undefined ? '' : ` (HTTP ${str(m.status)})`}: ${str(m.error)}`;
    }
    default: {
      const { kind: _kind, at: _at, appId: _appId, ...rest } = m;
      return JSON.stringify(rest, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    }
  }
};

/** One readable line: time, app, kind, why. */
export const formatDecision = (m: Message): string => {
  const appId = m.kind === 'metric' ? ((m.metric ?? {}) as Message).appId : m.appId;
  return `${isoTime(m.at)}  ${(appId === undefined ? '-' : str(appId)).padEnd(36)}  ${str(m.kind).padEnd(14)}  ${explain(m)}`;
};
