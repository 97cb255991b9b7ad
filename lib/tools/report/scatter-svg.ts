import { escapeXml, niceStep, tag } from './svg.ts';

export interface ScatterPoint {
  readonly label: string;
  /** Instance-hours. */
  readonly cost: number;
  /** Seconds under pressure. */
  readonly pressureSecs: number;
  readonly front: boolean;
  readonly recommended: boolean;
  readonly base: boolean;
}

const W = 960;
const H = 360;
const M = { top: 20, right: 24, bottom: 48, left: 76 };

/**
 * Cost versus pressure, one dot per candidate, rendered on the server: the Pareto front joined and
 * filled, the recommended candidate ringed in green, the base policy ringed in purple, and the
 * pressure limit as a dashed line.
 */
export const renderScatterSvg = (points: readonly ScatterPoint[], limitSecs: number): string => {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const minutes = points.map((p) => p.pressureSecs / 60);
  const costs = points.map((p) => p.cost);
  const xLo0 = Math.min(...costs);
  const xHi0 = Math.max(...costs);
  const xStep = niceStep(Math.max(xHi0 - xLo0, xHi0 * 0.1, 0.001), 6);
  const xLo = Math.floor((xLo0 - xStep * 0.5) / xStep) * xStep;
  const xHi = Math.ceil((xHi0 + xStep * 0.5) / xStep) * xStep;
  const yHi0 = Math.max(1, ...minutes, limitSecs / 60);
  const yStep = niceStep(yHi0, 5);
  const yHi = Math.ceil((yHi0 + yStep * 0.2) / yStep) * yStep;
  const x = (c: number) => M.left + ((c - xLo) / (xHi - xLo)) * plotW;
  const y = (m: number) => M.top + plotH - (m / yHi) * plotH;
  const out: string[] = [];
  for (let v = 0; v <= yHi + 1e-9; v += yStep) {
    out.push(tag('line', { class: 'grid', x1: M.left, x2: M.left + plotW, y1: y(v), y2: y(v) }));
    out.push(tag('text', { x: M.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, String(Math.round(v * 100) / 100)));
  }
  for (let c = xLo; c <= xHi + 1e-9; c += xStep) {
    out.push(tag('line', { class: 'grid', x1: x(c), x2: x(c), y1: M.top, y2: M.top + plotH }));
    out.push(
      tag('text', { x: x(c), y: M.top + plotH + 16, 'text-anchor': 'middle' }, String(Math.round(c * 1000) / 1000)),
    );
  }
  out.push(tag('line', { class: 'axis', x1: M.left, x2: M.left, y1: M.top, y2: M.top + plotH }));
  out.push(tag('line', { class: 'axis', x1: M.left, x2: M.left + plotW, y1: M.top + plotH, y2: M.top + plotH }));
  out.push(
    tag(
      'text',
      { class: 'axis-title', x: M.left + plotW / 2, y: H - 8, 'text-anchor': 'middle' },
      'cost (instance-hours)',
    ),
  );
  out.push(
    tag(
      'text',
      {
        class: 'axis-title',
        x: 16,
        y: M.top + plotH / 2,
        'text-anchor': 'middle',
        transform: `rotate(-90 16 ${M.top + plotH / 2})`,
      },
      'time under pressure (minutes, all apps)',
    ),
  );
  out.push(
    tag('line', { class: 'limit', x1: M.left, x2: M.left + plotW, y1: y(limitSecs / 60), y2: y(limitSecs / 60) }),
  );
  out.push(
    tag(
      'text',
      { class: 'threshold-label', x: M.left + plotW - 4, y: y(limitSecs / 60) - 4, 'text-anchor': 'end' },
      'pressure limit',
    ),
  );
  const front = points.filter((p) => p.front).sort((a, b) => a.cost - b.cost || b.pressureSecs - a.pressureSecs);
  if (front.length > 1)
    out.push(
      tag('path', {
        class: 'front-line',
        d: front
          .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.cost).toFixed(1)},${y(p.pressureSecs / 60).toFixed(1)}`)
          .join(''),
      }),
    );
  // Front points last, so they stay on top of the others.
  for (const p of [...points.filter((q) => !q.front), ...front]) {
    const cx = x(p.cost);
    const cy = y(p.pressureSecs / 60);
    const title = tag(
      'title',
      {},
      `${escapeXml(p.label)}: ${p.cost} instance-hours, ${Math.round(p.pressureSecs)} s under pressure`,
    );
    out.push(tag('circle', { class: p.front ? 'front' : 'candidate', cx, cy, r: 5 }, title));
    if (p.base) out.push(tag('circle', { class: 'base', cx, cy, r: 9 }));
    if (p.recommended) {
      out.push(tag('circle', { class: 'recommended', cx, cy, r: 12 }));
      const left = cx > M.left + plotW * 0.6;
      out.push(
        tag(
          'text',
          { x: left ? cx - 15 : cx + 15, y: cy - 14, class: 'axis-title', 'text-anchor': left ? 'end' : 'start' },
          `recommended ${escapeXml(p.label.split(' ')[0]!)}`,
        ),
      );
    }
  }
  return tag(
    'svg',
    {
      class: 'scatter',
      viewBox: `0 0 ${W} ${H}`,
      width: W,
      height: H,
      role: 'img',
      'aria-label': 'cost versus time under pressure',
      xmlns: 'http://www.w3.org/2000/svg',
    },
    out.join(''),
  );
};
