import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatDecision, isoTime } from '../../../../lib/adapters/live/format-decision.ts';
import { parse, stringify } from '../../../../lib/core/json/bigint-json.ts';
import type { Decision } from '../../../../lib/core/model/decision.ts';
import type { Trigger } from '../../../../lib/core/model/policy.ts';

const AT = 1_700_000_000_123_456_789n;
const TIME = '2023-11-14T22:13:20.123Z';
const trigger: Trigger = {
  appId: 'app-1',
  metricType: 'memoryused',
  metricUnit: 'MB',
  breachDurationSecs: 120,
  threshold: 80n,
  operator: '>',
  coolDownSecs: 300,
  adjustment: '+1',
};
// What tail receives: the wire JSON, parsed back.
const wire = (d: unknown) => parse(stringify(d)) as Record<string, unknown>;
const line = (d: Decision | Record<string, unknown>) => formatDecision(wire(d));

const test = suite('formatDecision');

test('writes ns instants as ISO time', () => {
  assert.is(isoTime(AT), TIME);
  assert.is(isoTime(undefined), '-');
});

test('puts time, app and kind first, then the why of each kind', () => {
  const cases: [Decision, RegExp][] = [
    [
      {
        kind: 'metric',
        at: AT,
        metric: { appId: 'app-1', name: 'memoryused', unit: 'MB', value: '81', timestamp: AT },
      },
      /memoryused = 81 MB$/,
    ],
    [
      { kind: 'breach', at: AT, appId: 'app-1', ruleIndex: 0, trigger, values: ['81', '90'] },
      /rule 0 breached: memoryused > 80 for 120s -> \+1; values 81,90$/,
    ],
    [
      {
        kind: 'no-breach',
        at: AT,
        appId: 'app-1',
        ruleIndex: 1,
        metricType: 'cpu',
        reason: 'not enough history',
        values: [],
      },
      /rule 1 \(cpu\) not breached: not enough history$/,
    ],
    [
      { kind: 'rule-skipped', at: AT, appId: 'app-1', ruleIndex: 2, reason: 'invalid operator "=="' },
      /rule 2 skipped: invalid operator "=="$/,
    ],
    [
      { kind: 'cooldown-hold', at: AT, appId: 'app-1', trigger, cooldownUntil: AT },
      new RegExp(`in cooldown until ${TIME}; not scaling for memoryused > 80`),
    ],
    [
      { kind: 'breaker-open', at: AT, appId: 'app-1', trigger, retryAfter: AT },
      new RegExp(`breaker open until ${TIME}`),
    ],
    [
      { kind: 'breaker-state', at: AT, appId: 'app-1', state: 'half-open', consecutiveFailures: 3 },
      /breaker half-open after 3 consecutive failure\(s\)$/,
    ],
    [
      { kind: 'scaling-call', at: AT, appId: 'app-1', trigger },
      /asking the scaling engine: memoryused > 80 for 120s -> \+1$/,
    ],
    [
      {
        kind: 'scaling-result',
        at: AT,
        appId: 'app-1',
        trigger,
        ok: true,
        status: 200,
        adjustment: 1,
        cooldownExpiredAt: AT,
      },
      new RegExp(`scaled \\(HTTP 200\\), instances \\+1; cooldown until ${TIME}$`),
    ],
    [
      { kind: 'scaling-result', at: AT, appId: 'app-1', trigger, ok: false, status: 500, error: 'boom' },
      /scaling failed \(HTTP 500\): boom$/,
    ],
  ];
  for (const [decision, why] of cases) {
    const text = line(decision);
    assert.ok(text.startsWith(`${TIME}  app-1 `), text);
    assert.ok(text.includes(`  ${decision.kind}`), text);
    assert.match(text, why);
  }
});

test('explains stream notices and still prints kinds it does not know', () => {
  assert.match(line({ kind: 'dropped', at: AT, count: 12 }), /dropped\s+12 event\(s\) missed: this client fell behind/);
  assert.match(
    line({ kind: 'subscribed', at: AT, appIds: ['a', 'b'], kinds: null }),
    /subscribed\s+apps a,b, kinds all/,
  );
  assert.match(
    line({ kind: 'future-thing', at: AT, appId: 'app-9', big: 2n ** 70n }),
    /app-9 .*future-thing\s+\{"big":"1180591620717411303424"\}/,
  );
});

test.run();
