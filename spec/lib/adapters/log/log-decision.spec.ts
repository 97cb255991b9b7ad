import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { logDecision } from '../../../../lib/adapters/log/log-decision.ts';
import { createLogger } from '../../../../lib/adapters/log/logger.ts';
import type { Decision } from '../../../../lib/core/model/decision.ts';
import type { Trigger } from '../../../../lib/core/model/policy.ts';
import { secondsToNs } from '../../../../lib/core/time/ns.ts';

const log = suite('logDecision');

interface Line {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A pino logger writing into an array, one parsed JSON object per line. */
const capture = (level: 'debug' | 'info' = 'debug') => {
  const lines: Line[] = [];
  const logger = createLogger({
    level,
    destination: {
      write: (s: string) => {
        lines.push(JSON.parse(s) as Line);
      },
    },
  });
  return { logger, lines };
};

const T = secondsToNs(1_700_000_000);
const trigger: Trigger = {
  appId: 'app-1',
  metricType: 'memoryused',
  metricUnit: 'MB',
  breachDurationSecs: 120,
  threshold: 300n,
  operator: '>',
  coolDownSecs: 300,
  adjustment: '+1',
};
const INFO = 30;
const DEBUG = 20;
const WARN = 40;

const one = (d: Decision, level: 'debug' | 'info' = 'debug'): Line => {
  const { logger, lines } = capture(level);
  logDecision(logger, d);
  assert.is(lines.length, 1);
  return lines[0]!;
};

log(
  'a breach names the app, the rule, the values and the threshold, at debug (the line that follows says what happened)',
  () => {
    const line = one({ kind: 'breach', at: T, appId: 'app-1', ruleIndex: 1, trigger, values: ['310', '320', '330'] });
    assert.is(line.level, DEBUG);
    assert.is(
      line.msg,
      'app app-1 rule #1 (memoryused > 300MB for 120s, adjustment +1) breached: every value of the breach window [310, 320, 330] is > 300',
    );
    assert.equal(line.rule, {
      index: 1,
      metricType: 'memoryused',
      operator: '>',
      threshold: '300',
      metricUnit: 'MB',
      breachDurationSecs: 120,
      coolDownSecs: 300,
      adjustment: '+1',
    });
    assert.equal(line.values, ['310', '320', '330']);
    assert.is(line.decision, 'breach');
    assert.is(line.appId, 'app-1');
  },
);

log('a no-breach says why with the values, at debug only', () => {
  const d: Decision = {
    kind: 'no-breach',
    at: T,
    appId: 'app-1',
    ruleIndex: 0,
    metricType: 'memoryused',
    reason: 'value 150 (10s ago) is not > 300',
    values: ['400', '150', ''],
  };
  const line = one(d);
  assert.is(line.level, DEBUG);
  assert.is(
    line.msg,
    'app app-1 rule #0 (memoryused) not breached: value 150 (10s ago) is not > 300; values [400, 150, ""]',
  );
  assert.is(line.reason, 'value 150 (10s ago) is not > 300');
  const { logger, lines } = capture('info');
  logDecision(logger, d);
  assert.is(lines.length, 0);
});

log('a cooldown hold says until when and how long is left, with the rule and values', () => {
  const line = one({
    kind: 'cooldown-hold',
    at: T,
    appId: 'app-1',
    trigger,
    cooldownUntil: T + secondsToNs(90),
    ruleIndex: 0,
    values: ['400'],
  });
  assert.is(line.level, DEBUG, 'repeated on every metric while cooling down, so debug');
  assert.is(
    line.msg,
    `app app-1 rule #0 (memoryused > 300MB for 120s, adjustment +1) breached with values [400] but no scaling call: app in cooldown until 2023-11-14T22:14:50.000Z (90s left)`,
  );
  assert.is(line.cooldownUntil, (T + secondsToNs(90)).toString());
});

log('a breaker refusal says when the next trial may go', () => {
  const line = one({
    kind: 'breaker-open',
    at: T,
    appId: 'app-1',
    trigger,
    retryAfter: T + secondsToNs(300),
    ruleIndex: 2,
    values: ['400'],
  });
  assert.is(line.level, INFO);
  assert.match(
    line.msg,
    /^app app-1 rule #2 \(memoryused > 300MB for 120s, adjustment \+1\) breached with values \[400\] but no scaling call: circuit breaker open, next trial after 2023-11-14T22:18:20\.000Z \(300s from now\)$/,
  );
});

log('holds without the optional rule index still name the rule', () => {
  const line = one({ kind: 'cooldown-hold', at: T, appId: 'app-1', trigger, cooldownUntil: T + secondsToNs(1) });
  assert.match(line.msg, /^app app-1 rule \(memoryused > 300MB/);
  assert.equal(line.values, []);
});

log('a scaling call and its result, with the status and the cooldown', () => {
  const call = one({ kind: 'scaling-call', at: T, appId: 'app-1', trigger, ruleIndex: 0, values: ['400', '350'] });
  assert.is(call.level, INFO);
  assert.is(
    call.msg,
    'app app-1 rule #0 (memoryused > 300MB for 120s, adjustment +1) breached: every value of the breach window [400, 350] is > 300; sending the trigger to the scaling engine',
  );
  assert.equal(call.values, ['400', '350']);
  const ok = one({
    kind: 'scaling-result',
    at: T,
    appId: 'app-1',
    trigger,
    ok: true,
    status: 200,
    adjustment: 1,
    cooldownExpiredAt: T + secondsToNs(300),
  });
  assert.is(ok.level, INFO);
  assert.is(ok.msg, 'app app-1 scaling engine answered 200, instances +1; cooldown until 2023-11-14T22:18:20.000Z');
  assert.is(ok.status, 200);
  assert.is(ok.adjustment, 1);
  assert.equal((ok.rule as { adjustment: string }).adjustment, '+1');
  const none = one({ kind: 'scaling-result', at: T, appId: 'app-1', trigger, ok: true, status: 200 });
  assert.is(none.msg, 'app app-1 scaling engine answered 200; no cooldown');
});

log('a failed scaling call warns with the status and the error', () => {
  const line = one({
    kind: 'scaling-result',
    at: T,
    appId: 'app-1',
    trigger,
    ok: false,
    status: 400,
    error: 'got 400 when sending trigger alarm',
  });
  assert.is(line.level, WARN);
  assert.is(line.msg, 'app app-1 scaling call failed with status 400: got 400 when sending trigger alarm');
  const network = one({
    kind: 'scaling-result',
    at: T,
    appId: 'app-1',
    trigger,
    ok: false,
    error: 'request failed: ECONNREFUSED',
  });
  assert.is(network.msg, 'app app-1 scaling call failed: request failed: ECONNREFUSED');
});

log('breaker transitions: open warns, the others inform', () => {
  const open = one({ kind: 'breaker-state', at: T, appId: 'app-1', state: 'open', consecutiveFailures: 3 });
  assert.is(open.level, WARN);
  assert.is(open.msg, 'app app-1 circuit breaker open after 3 consecutive failure(s)');
  assert.is(one({ kind: 'breaker-state', at: T, appId: 'app-1', state: 'closed', consecutiveFailures: 0 }).level, INFO);
});

log('a skipped rule warns with the reason', () => {
  const line = one({
    kind: 'rule-skipped',
    at: T,
    appId: 'app-1',
    ruleIndex: 0,
    reason: 'operator-is-invalid: "x" is not one of <, <=, >, >=',
  });
  assert.is(line.level, WARN);
  assert.is(line.msg, 'app app-1 rule #0 skipped: operator-is-invalid: "x" is not one of <, <=, >, >=');
});

log('metrics are debug lines', () => {
  const line = one({
    kind: 'metric',
    at: T,
    metric: { appId: 'app-1', name: 'memoryused', unit: 'MB', value: '12', timestamp: T },
  });
  assert.is(line.level, DEBUG);
  assert.is(line.msg, 'app app-1 metric memoryused = 12MB');
});

log('writes bigint fields as digits, so lines stay JSON', () => {
  const line = one({
    kind: 'breach',
    at: 9223372036854775807n,
    appId: 'a',
    ruleIndex: 0,
    trigger: { ...trigger, threshold: 9223372036854775807n },
    values: [],
  });
  assert.is(line.at, '9223372036854775807');
  assert.is((line.rule as { threshold: string }).threshold, '9223372036854775807');
});

log.run();
