import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Decision } from '../../../../lib/core/model/decision.ts';
import type { Policy, Trigger } from '../../../../lib/core/model/policy.ts';
import { formatOffset, formatUtc } from '../../../../lib/tools/report/format-time.ts';
import { createSeriesCollector } from '../../../../lib/tools/report/metric-series.ts';
import { buildReportData } from '../../../../lib/tools/report/report-data.ts';
import { describeTrigger, scalingRows } from '../../../../lib/tools/report/scaling-rows.ts';
import { renderSummaryTable } from '../../../../lib/tools/report/summary-table.ts';
import type { ScalingEvent } from '../../../../lib/tools/simulation/scaling-engine-model.ts';

const S = 1_000_000_000n;
const T0 = 1_731_578_400n * S;
const trigger = (adjustment: string, operator = '>', threshold = 70n): Trigger => ({
  appId: 'app',
  metricType: 'cpu',
  metricUnit: '%',
  breachDurationSecs: 120,
  threshold,
  operator,
  coolDownSecs: 300,
  adjustment,
});
const breach = (at: bigint, t: Trigger, values: string[]): Decision => ({
  kind: 'breach',
  at,
  appId: 'app',
  ruleIndex: 0,
  trigger: t,
  values,
});
const event = (
  at: bigint,
  t: Trigger,
  before: number,
  after: number,
  status: 0 | 2,
  reason?: string,
): ScalingEvent => ({
  at,
  trigger: t,
  before,
  after,
  ...(reason ? { reason } : {}),
  result: {
    app_id: 'app',
    status,
    adjustment: after - before,
    cool_down_expired_at: status === 0 ? at + 300n * S : 0n,
  },
});

const up = trigger('+2');
const down = trigger('-1', '<', 30n);
const decisions: Decision[] = [
  // Breach values are oldest first, as judgeBreach lists them: the newest is last.
  breach(T0 + 600n * S, up, ['72', '75']),
  breach(T0 + 640n * S, up, ['90']),
  breach(T0 + 1200n * S, down, ['25']),
];
const events = [
  event(T0 + 600n * S, up, 2, 4, 0),
  event(T0 + 640n * S, up, 4, 4, 2, 'in cooldown'),
  event(T0 + 1200n * S, down, 4, 3, 0),
];

// ---
const rows = suite('scalingRows and renderSummaryTable');

rows('joins each answer with the breach of the same instant and prints the scaled ones', () => {
  const r = scalingRows(events, decisions, new Map([['app', 'checkout-web']]));
  assert.equal(
    r.map((x) => [x.value, x.reason, x.rule]),
    [
      ['75%', 'scaled', 'cpu > 70 for 120s: +2'],
      ['90%', 'in cooldown', 'cpu > 70 for 120s: +2'],
      ['25%', 'scaled', 'cpu < 30 for 120s: -1'],
    ],
  );
  assert.is(
    renderSummaryTable(r, T0),
    [
      '2 scaling events',
      'time (UTC)           offset   app           rule                   value  instances  cooldown until',
      '-------------------  -------  ------------  ---------------------  -----  ---------  --------------',
      '2024-11-14 10:10:00  +10m00s  checkout-web  cpu > 70 for 120s: +2  75%    2 -> 4     10:15:00',
      '2024-11-14 10:20:00  +20m00s  checkout-web  cpu < 30 for 120s: -1  25%    4 -> 3     10:25:00',
      '1 call not acted on: 1 in cooldown',
      '',
    ].join('\n'),
  );
});

rows('says so when nothing scaled', () => {
  assert.is(renderSummaryTable([], T0), '0 scaling events\n');
});

rows('formats times in UTC and offsets from the start', () => {
  assert.is(formatUtc(T0 + 61n * S + 999_999_999n), '2024-11-14 10:01:01');
  assert.equal(
    [formatOffset(T0 + 59n * S, T0), formatOffset(T0 + 3725n * S, T0), formatOffset(T0 - 5n * S, T0)],
    ['+0m59s', '+1h02m05s', '-0m05s'],
  );
  assert.is(
    describeTrigger({
      metricType: 'queue_length',
      operator: '<=',
      threshold: 5n,
      breachDurationSecs: 60,
      adjustment: '-10%',
    }),
    'queue_length <= 5 for 60s: -10%',
  );
});

// ---
const data = suite('buildReportData');

data('builds one chart per series with thresholds, merged breach windows, cooldowns and instance steps', () => {
  const series = createSeriesCollector();
  for (let i = 1n; i <= 3n; i += 1n)
    series.add({
      appId: 'app',
      name: 'cpu',
      unit: '%',
      value: i === 2n ? '' : String(i * 10n),
      timestamp: T0 + i * 40n * S,
    });
  const policy: Policy = {
    appId: 'app',
    instanceMinCount: 2,
    instanceMaxCount: 6,
    rules: [
      {
        metricType: 'cpu',
        breachDurationSecs: 120,
        threshold: 70n,
        operator: '>',
        coolDownSecs: 300,
        adjustment: '+2',
      },
      {
        metricType: 'memoryused',
        breachDurationSecs: 120,
        threshold: 9n,
        operator: '>',
        coolDownSecs: 300,
        adjustment: '+1',
      },
    ],
  };
  const report = buildReportData({
    title: 't',
    subtitle: 's',
    startNs: T0,
    endNs: T0 + 1800n * S,
    policies: new Map([['app', policy]]),
    appNames: new Map(),
    series: series.series(),
    breaches: decisions.filter((d): d is Extract<Decision, { kind: 'breach' }> => d.kind === 'breach'),
    events,
    rows: scalingRows(events, decisions, new Map()),
    initialInstances: () => 2,
  });
  const ms = (ns: bigint) => Number(ns / 1_000_000n);
  assert.is(report.charts.length, 1);
  const chart = report.charts[0]!;
  assert.equal(chart.points, [
    [ms(T0 + 40n * S), 10],
    [ms(T0 + 80n * S), null],
    [ms(T0 + 120n * S), 30],
  ]);
  assert.equal(chart.thresholds, [{ value: 70, label: '> 70 (+2)' }]);
  assert.equal(chart.breaches, [
    [ms(T0 + 1080n * S), ms(T0 + 1200n * S), 'cpu < 30 for 120s: -1', 'down'],
    [ms(T0 + 480n * S), ms(T0 + 640n * S), 'cpu > 70 for 120s: +2', 'up'],
  ]);
  assert.equal(chart.cooldowns, [
    [ms(T0 + 600n * S), ms(T0 + 900n * S)],
    [ms(T0 + 1200n * S), ms(T0 + 1500n * S)],
  ]);
  assert.equal(chart.instances, [
    [ms(T0), 2],
    [ms(T0 + 600n * S), 4],
    [ms(T0 + 1200n * S), 3],
  ]);
  assert.equal(chart.ignored, [[ms(T0 + 640n * S), 'in cooldown']]);
  assert.is(report.rows.length, 2);
});

rows.run();
data.run();
