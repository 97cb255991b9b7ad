import type { AppMetric } from '../../core/model/app-metric.ts';

/**
 * Column widths of `app_metric` (docs/anchor-compatibility.md#tables). A row over them would fail
 * its whole batch.
 */
export const APP_METRIC_LIMITS = { appId: 255, metricType: 100, unit: 20 } as const;

const INT64_MIN = -(2n ** 63n);
const INT64_END = 2n ** 63n;

/** Why a metric cannot be stored, or undefined when it fits the table. */
export const unstorableReason = (m: AppMetric): string | undefined => {
  if (m.appId.length === 0) return 'app_id is empty';
  if (m.appId.length > APP_METRIC_LIMITS.appId) return `app_id longer than ${APP_METRIC_LIMITS.appId} characters`;
  if (m.name.length === 0) return 'metric_type is empty';
  if (m.name.length > APP_METRIC_LIMITS.metricType)
    return `metric_type longer than ${APP_METRIC_LIMITS.metricType} characters`;
  if (m.unit.length > APP_METRIC_LIMITS.unit) return `unit longer than ${APP_METRIC_LIMITS.unit} characters`;
  if (m.timestamp < INT64_MIN || m.timestamp >= INT64_END) return 'timestamp outside int64';
  if (
    m.value.includes('\u0000') ||
    m.appId.includes('\u0000') ||
    m.name.includes('\u0000') ||
    m.unit.includes('\u0000')
  ) {
    return 'text contains a NUL character';
  }
  return undefined;
};

/**
 * Whether a row of a key (app id and metric type) that fitted the table already fits too: the
 * checks of unstorableReason that depend on the row alone, for a store that checks each key once.
 */
export const rowFits = (m: AppMetric): boolean =>
  m.unit.length <= APP_METRIC_LIMITS.unit &&
  m.timestamp >= INT64_MIN &&
  m.timestamp < INT64_END &&
  !m.value.includes('\u0000') &&
  !m.unit.includes('\u0000');
