import type { ChartData } from './report-data.ts';
import { clockUtc, dateUtc, escapeXml, niceStep, stampUtc, tag } from './svg.ts';

const W = 960;
const H = 300;
const M = { top: 26, right: 64, bottom: 44, left: 70 };
const LANE = 10;
const TIME_STEPS = [60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 10800e3, 21600e3, 43200e3, 86400e3];
const timeStep = (span: number): number => TIME_STEPS.find((s) => span / s <= 10) ?? TIME_STEPS.at(-1)!;

/** The metric value drawn at time t: the last point at or before it. */
const valueAt = (points: ChartData['points'], t: number): number | null => {
  let value: number | null = null;
  for (const [pt, v] of points) {
    if (pt > t) break;
    if (v !== null) value = v;
  }
  return value;
};

/**
 * One app metric as a server-side SVG: the metric line, thresholds, breach windows shaded in the
 * plot, cooldowns in a lane of their own above it (so the two stay readable where they overlap),
 * the instance count on the right axis, scaling events marked on the metric line and ignored calls
 * as ticks. Axis titles carry the units and the date in UTC.
 */
export const renderChartSvg = (chart: ChartData, start: number, end: number): string => {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const t0 = start;
  const t1 = Math.max(end, t0 + 1);
  const values = chart.points.map((p) => p[1]).filter((v): v is number => v !== null);
  for (const t of chart.thresholds) values.push(t.value);
  let lo = Math.min(0, ...values);
  let hi = Math.max(1, ...values);
  const yStep = niceStep(hi - lo, 5);
  hi = Math.ceil((hi + yStep * 0.2) / yStep) * yStep;
  lo = Math.floor(lo / yStep) * yStep;
  const nMax = Math.max(1, ...chart.instances.map((p) => p[1])) + 1;
  const x = (t: number) => M.left + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0)) * plotW;
  const y = (v: number) => M.top + plotH - ((v - lo) / (hi - lo)) * plotH;
  const yn = (n: number) => M.top + plotH - (n / nMax) * plotH;
  const unit = chart.unit ? ` (${chart.unit})` : '';
  const out: string[] = [];

  for (const [from, to] of chart.cooldowns)
    out.push(
      tag(
        'rect',
        { class: 'cooldown', x: x(from), y: M.top - LANE - 2, width: Math.max(1, x(to) - x(from)), height: LANE },
        tag('title', {}, `cooldown ${stampUtc(from)} to ${stampUtc(to)} UTC`),
      ),
    );
  for (const [from, to, label, dir] of chart.breaches)
    out.push(
      tag(
        'rect',
        { class: `breach ${dir}`, x: x(from), y: M.top, width: Math.max(1, x(to) - x(from)), height: plotH },
        tag('title', {}, `breach window: ${escapeXml(label)}`),
      ),
    );
  for (let v = lo; v <= hi + 1e-9; v += yStep) {
    out.push(tag('line', { class: 'grid', x1: M.left, x2: M.left + plotW, y1: y(v), y2: y(v) }));
    out.push(tag('text', { x: M.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, String(Math.round(v * 100) / 100)));
  }
  const step = timeStep(t1 - t0);
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
    out.push(tag('line', { class: 'grid', x1: x(t), x2: x(t), y1: M.top, y2: M.top + plotH }));
    out.push(tag('text', { x: x(t), y: M.top + plotH + 16, 'text-anchor': 'middle' }, clockUtc(t)));
  }
  for (let n = 0; n <= nMax; n += 1)
    out.push(tag('text', { class: 'instances-axis', x: M.left + plotW + 6, y: yn(n) + 4 }, String(n)));
  out.push(tag('line', { class: 'axis', x1: M.left, x2: M.left, y1: M.top, y2: M.top + plotH }));
  out.push(tag('line', { class: 'axis', x1: M.left, x2: M.left + plotW, y1: M.top + plotH, y2: M.top + plotH }));
  const days = dateUtc(t0) === dateUtc(t1) ? dateUtc(t0) : `${dateUtc(t0)} to ${dateUtc(t1)}`;
  out.push(
    tag(
      'text',
      { class: 'axis-title', x: M.left + plotW / 2, y: H - 6, 'text-anchor': 'middle' },
      `time (UTC, ${days})`,
    ),
  );
  out.push(
    tag(
      'text',
      {
        class: 'axis-title',
        x: 14,
        y: M.top + plotH / 2,
        'text-anchor': 'middle',
        transform: `rotate(-90 14 ${M.top + plotH / 2})`,
      },
      escapeXml(`${chart.metricType}${unit}`),
    ),
  );
  out.push(
    tag(
      'text',
      {
        class: 'axis-title',
        x: W - 12,
        y: M.top + plotH / 2,
        'text-anchor': 'middle',
        transform: `rotate(90 ${W - 12} ${M.top + plotH / 2})`,
      },
      'instances',
    ),
  );
  out.push(tag('text', { class: 'lane-title', x: M.left - 6, y: M.top - 4, 'text-anchor': 'end' }, 'cooldown'));
  for (const th of chart.thresholds) {
    out.push(tag('line', { class: 'threshold', x1: M.left, x2: M.left + plotW, y1: y(th.value), y2: y(th.value) }));
    out.push(
      tag(
        'text',
        { class: 'threshold-label', x: M.left + plotW - 4, y: y(th.value) - 4, 'text-anchor': 'end' },
        escapeXml(th.label),
      ),
    );
  }
  // Empty metrics (no samples) break the line instead of being drawn as zero.
  let d = '';
  let pen = false;
  let drawn = 0;
  for (const [t, v] of chart.points) {
    if (v === null) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
    drawn += 1;
  }
  out.push(
    tag(
      'path',
      { class: 'metric-line', d: d || 'M0,0', 'data-points': String(drawn) },
      tag('title', {}, `${escapeXml(chart.metricType)}: ${drawn} values`),
    ),
  );
  if (drawn < 60)
    for (const [t, v] of chart.points)
      if (v !== null) out.push(tag('circle', { class: 'metric-point', cx: x(t), cy: y(v), r: 2 }));
  let steps = '';
  chart.instances.forEach(([t, n], i) => {
    steps += i === 0 ? `M${x(t).toFixed(1)},${yn(n).toFixed(1)}` : `H${x(t).toFixed(1)}V${yn(n).toFixed(1)}`;
  });
  out.push(tag('path', { class: 'instances-line', d: `${steps}H${M.left + plotW}` }));
  for (const [t, reason] of chart.ignored)
    out.push(
      tag(
        'line',
        { class: 'ignored-call', x1: x(t), x2: x(t), y1: M.top + plotH, y2: M.top + plotH - 6 },
        tag('title', {}, `${stampUtc(t)} UTC ignored: ${escapeXml(reason)}`),
      ),
    );
  for (const s of chart.scalings) {
    const v = valueAt(chart.points, s.t);
    const cy = v === null ? yn(s.after) : y(v);
    out.push(
      tag(
        'g',
        { class: 'scaling-event' },
        tag('circle', { cx: x(s.t), cy, r: 4.5 }) +
          tag('text', { x: x(s.t) + 6, y: cy - 6 }, `${s.before}→${s.after}`) +
          tag('title', {}, `${stampUtc(s.t)} UTC ${escapeXml(s.label)}: ${s.before} → ${s.after}`),
      ),
    );
  }
  const title = `${chart.appName || chart.appId} · ${chart.metricType}${unit}`;
  return tag(
    'svg',
    {
      viewBox: `0 0 ${W} ${H}`,
      width: W,
      height: H,
      role: 'img',
      'aria-label': title,
      xmlns: 'http://www.w3.org/2000/svg',
    },
    out.join(''),
  );
};
