import type { AppMetric } from '../../../../../lib/core/model/app-metric.ts';
import { safeIntegerOf } from '../../../../../lib/core/model/metric-window.ts';
import type { MetricWindow } from '../../../../../lib/core/model/metric-window.ts';

const MS = 1_000_000n;

/** The window's columns as plain rows, to compare with the reference ring's query rows. */
export const rowsOf = (w: MetricWindow) =>
  Array.from({ length: w.length }, (_v, i) => ({
    ageMs: w.ageMs[i],
    ageRestNs: w.ageRestNs[i],
    text: w.texts[i],
    value: w.values[i],
    unit: w.units[i],
  }));

/** What the window must hold for query rows aged from `end`, worked out with bigint. */
export const expectedRows = (rows: readonly AppMetric[], end: bigint) =>
  rows.map((m) => {
    const age = end - m.timestamp;
    const floor = age >= 0n || age % MS === 0n ? age / MS : age / MS - 1n;
    return {
      ageMs: Number(floor),
      ageRestNs: Number(age - floor * MS),
      text: m.value,
      value: safeIntegerOf(m.value),
      unit: m.unit,
    };
  });
