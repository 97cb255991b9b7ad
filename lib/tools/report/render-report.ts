import { readFileSync } from 'node:fs';
import type { ReportData } from './report-data.ts';

const asset = (name: string): string => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON that cannot close the script element it sits in. */
const embedJson = (data: unknown): string =>
  JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/\u2028|\u2029/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);

/**
 * A self-contained HTML report: the data as embedded JSON and a small inline script that draws one
 * SVG chart per app and metric. No network access is needed to open it.
 */
export const renderReport = (data: ReportData): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(data.title)}</title>
<style>
${asset('report.css')}
</style>
</head>
<body>
<header>
<h1>${escapeHtml(data.title)}</h1>
<p class="subtitle">${escapeHtml(data.subtitle)}</p>
${data.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('\n')}
</header>
<section>
<h2>Scaling events</h2>
<table id="events"><thead><tr><th>time (UTC)</th><th>app</th><th>rule</th><th>value</th><th>instances</th><th>cooldown until</th></tr></thead><tbody></tbody></table>
</section>
<section id="charts"><h2>Metrics</h2>
<p class="legend"><span class="key metric"></span>app metric <span class="key threshold"></span>threshold <span class="key breach"></span>breach window (scale out) <span class="key breach-down"></span>breach window (scale in) <span class="key cooldown"></span>cooldown <span class="key instances"></span>instances (right axis) <span class="key scaling"></span>scaling event <span class="key ignored"></span>call ignored</p>
</section>
<script type="application/json" id="report-data">${embedJson(data)}</script>
<script>
${asset('chart.js')}
</script>
</body>
</html>
`;
