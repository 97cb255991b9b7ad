import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { triggerBody } from '../../../../lib/core/scaling/trigger-body.ts';

const body = suite('triggerBody');

body('writes every trigger field, in order, with the exact JSON names', () => {
  assert.is(
    triggerBody({
      appId: 'a',
      metricType: 'memoryused',
      metricUnit: '',
      breachDurationSecs: 120,
      threshold: -5n,
      operator: '<=',
      coolDownSecs: 0,
      adjustment: '-10%',
    }),
    '{"app_id":"a","metric_type":"memoryused","metric_unit":"","breach_duration_secs":120,"threshold":-5,"operator":"<=","cool_down_secs":0,"adjustment":"-10%"}',
  );
});

body('writes an int64 threshold as a bare integer without precision loss', () => {
  const text = triggerBody({
    appId: 'a',
    metricType: 'm',
    metricUnit: 'u',
    breachDurationSecs: 1,
    threshold: -9223372036854775808n,
    operator: '<',
    coolDownSecs: 1,
    adjustment: '+1',
  });
  assert.match(text, /"threshold":-9223372036854775808,/);
});

body.run();
