import { readFileSync } from 'node:fs';
import { renderChartSvg } from './chart-svg.ts';
import type { ReportData } from './report-data.ts';
import { escapeXml as escapeHtml, stampUtc } from './svg.ts';

const asset = (name: string): string => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');

const LEGEND = `<p class="legend"><span class="key metric"></span>app metric <span class="key threshold"></span>threshold <span class="key breach"></span>breach window (scale out) <span class="key breach-down"></span>breach window (scale in) <span class="key cooldown"></span>cooldown (lane above the plot) <span class="key instances"></span>instances (right axis) <span class="key scaling"></span>scaling event, at the metric value <span class="key ignored"></span>call ignored</p>`;

const row = (cells: readonly string[]) => `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;

/** The events table, the ignored calls and one chart per app metric, all rendered here (no script needed). */
const renderSection = (data: ReportData, key: string): string => {
  const events =
    data.rows.length === 0
      ? '<tr><td colspan="7" class="empty">No scaling events.</td></tr>'
      : data.rows
          .map((r) =>
            row([stampUtc(Number(r[0])), r[1]!, r[2]!, r[3]!, r[4]!, stampUtc(Number(r[5])).slice(11), r[6] ?? '']),
          )
          .join('\n');
  const ignored = data.ignoredRows ?? [];
  const ignoredTable =
    ignored.length === 0
      ? '<p class="note">No scaling call was ignored.</p>'
      : `<table class="ignored"><thead><tr><th>from (UTC)</th><th>to (UTC)</th><th>calls</th><th>app</th><th>rule</th><th>why ignored</th></tr></thead><tbody>
${ignored.map((r) => row([stampUtc(Number(r[0])), stampUtc(Number(r[1])).slice(11), r[2]!, r[3]!, r[4]!, r[5]!])).join('\n')}
</tbody></table>`;
  const charts =
    data.charts.length === 0
      ? '<p class="note">The replay produced no app metrics.</p>'
      : data.charts
          .map(
            (c, i) =>
              `<div class="chart" data-chart="${i}"><h3>${escapeHtml(`${c.appName || c.appId} · ${c.metricType}${c.unit ? ` (${c.unit})` : ''}`)}<small>  ${escapeHtml(c.appId)}</small></h3>
${renderChartSvg(c, data.start, data.end)}</div>`,
          )
          .join('\n');
  return `<section>
<h3 class="part">Scaling events</h3>
<table id="events${key}" class="events"><thead><tr><th>time (UTC)</th><th>app</th><th>rule</th><th>value</th><th>instances</th><th>cooldown until</th><th>why</th></tr></thead><tbody>
${events}
</tbody></table>
<h3 class="part">Scaling calls ignored</h3>
${ignoredTable}
</section>
<section class="charts"><h3 class="part">Metrics</h3>
${LEGEND}
${charts}
</section>`;
};

export interface ReportPage {
  readonly title: string;
  readonly subtitle: string;
  readonly notes: readonly string[];
  /** HTML placed above the sections (the policy lab's scatter and table). */
  readonly intro?: string;
  readonly sections: readonly { readonly heading?: string; readonly data: ReportData }[];
}

/** A self-contained HTML page, readable without JavaScript: every chart is SVG rendered here. */
export const renderReportPage = (page: ReportPage): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>
${asset('report.css')}
</style>
</head>
<body data-rendered="${page.sections.reduce((n, s) => n + s.data.charts.length, 0)}">
<header>
<h1>${escapeHtml(page.title)}</h1>
<p class="subtitle">${escapeHtml(page.subtitle)}</p>
${page.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('\n')}
</header>
${page.intro ?? ''}
${page.sections.map((s, i) => `${s.heading ? `<h2>${escapeHtml(s.heading)}</h2>\n` : ''}${renderSection(s.data, i === 0 ? '' : `-${i}`)}`).join('\n')}
</body>
</html>
`;

/** The report of one replay. */
export const renderReport = (data: ReportData): string =>
  renderReportPage({ title: data.title, subtitle: data.subtitle, notes: data.notes, sections: [{ data }] });
