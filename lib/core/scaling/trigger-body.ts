import { stringify } from '../json/bigint-json.ts';
import type { Trigger } from '../model/policy.ts';

/**
 * The POST body of docs/anchor-compatibility.md#trigger-json: every field present, in the anchor's
 * order, threshold as a bare int64.
 */
export const triggerBody = (t: Trigger): string =>
  stringify({
    app_id: t.appId,
    metric_type: t.metricType,
    metric_unit: t.metricUnit,
    breach_duration_secs: t.breachDurationSecs,
    threshold: t.threshold,
    operator: t.operator,
    cool_down_secs: t.coolDownSecs,
    adjustment: t.adjustment,
  });
