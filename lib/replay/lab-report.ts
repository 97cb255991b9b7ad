import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Decision } from '../core/model/decision.ts';
import { formatUtc } from '../tools/report/format-time.ts';
import { buildReportData } from '../tools/report/report-data.ts';
import type { ReportData } from '../tools/report/report-data.ts';
import { renderReportPage } from '../tools/report/render-report.ts';
import { renderScatterSvg } from '../tools/report/scatter-svg.ts';
import { scalingRows } from '../tools/report/scaling-rows.ts';
import { escapeXml } from '../tools/report/svg.ts';
import type { CandidateRun } from './evaluate-candidate.ts';
import { formatDuration } from './format-duration.ts';
import { candidateCells, labOrder } from './lab-output.ts';
import { describeLoadModel } from './load-model.ts';
import type { LabResult } from './policy-lab.ts';
import { policyFor } from './replay-policies.ts';
import type { Candidate } from './vary.ts';
import { describeChanges } from './vary.ts';

const sectionData = (lab: LabResult, run: CandidateRun, candidate: Candidate, title: string): ReportData => {
  const r = lab.replay;
  const policies = new Map(
    [...r.policies.keys()].flatMap((appId) => {
      const p = policyFor(candidate.policies, appId);
      return p ? [[appId, p] as const] : [];
    }),
  );
  return buildReportData({
    title,
    subtitle: '',
    startNs: r.startNs,
    endNs: r.endNs,
    policies,
    appNames: r.appNames,
    series: run.series,
    breaches: run.decisions.filter((d): d is Extract<Decision, { kind: 'breach' }> => d.kind === 'breach'),
    events: run.events,
    rows: scalingRows(run.events, run.decisions, r.appNames),
    initialInstances: run.initialInstances,
  });
};

/** The lab's page: the cost/pressure scatter and the candidates, then the recommended and the base policy app by app. */
export const renderLabReport = (lab: LabResult, name: string): string => {
  const r = lab.replay;
  const rec = lab.candidates[lab.recommended]!;
  const base = lab.candidates[0]!;
  const scatter = renderScatterSvg(
    lab.candidates.map((c, i) => ({
      label: `#${i} ${describeChanges(c.candidate.changes)}`,
      cost: c.scores.instanceHours,
      pressureSecs: c.scores.pressureSecs,
      front: c.front,
      recommended: i === lab.recommended,
      base: c.candidate.base,
    })),
    lab.maxPressureSecs,
  );
  const rows = labOrder(lab)
    .map((i) => {
      const c = lab.candidates[i]!;
      const cells = [
        `${i === lab.recommended ? 'recommended' : ''}${c.front ? `${i === lab.recommended ? ', ' : ''}front` : ''}`,
        `#${i}`,
        ...candidateCells(c),
      ];
      return `<tr${i === lab.recommended ? ' class="recommended"' : ''}>${cells.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  const invalid = lab.invalid
    .map((b) => `<li>${escapeXml(`${describeChanges(b.changes)}: ${b.reason}`)}</li>`)
    .join('');
  const intro = `<section>
<h2>Which policy?</h2>
<p class="why">${escapeXml(lab.why)}</p>
<p class="legend"><span class="key candidate"></span>candidate <span class="key front"></span>on the cost/pressure front <span class="key recommended"></span>recommended <span class="key base"></span>base policy <span class="key threshold"></span>pressure limit</p>
${scatter}
<table class="candidates"><thead><tr><th></th><th>#</th><th>candidate</th><th>scale-outs</th><th>scale-ins</th><th>flaps</th><th>instance-hours</th><th>time under pressure</th></tr></thead><tbody>
${rows}
</tbody></table>
${invalid ? `<p class="note">Skipped, as the service would reject them:</p><ul>${invalid}</ul>` : ''}
</section>`;
  const recTitle = `Recommended: #${lab.recommended} (${describeChanges(rec.candidate.changes)})`;
  const sections = [{ heading: recTitle, data: sectionData(lab, lab.detail.recommended, rec.candidate, recTitle) }];
  if (lab.recommended !== 0)
    sections.push({
      heading: 'Base policy (#0)',
      data: sectionData(lab, lab.detail.base, base.candidate, 'Base policy'),
    });
  return renderReportPage({
    title: `Policy lab: ${name}`,
    subtitle: `${r.envelopes} envelopes from ${formatUtc(r.startNs)} to ${formatUtc(r.endNs)} UTC · ${r.policies.size} app(s) · ${lab.candidates.length} candidate(s)`,
    notes: [
      describeLoadModel(r.loadModel),
      `Time under pressure: the seconds in which ${lab.pressure.join(' or ') || 'no yardstick'} held, at each candidate's own simulated instance count, summed over apps; limit ${formatDuration(lab.maxPressureSecs)} (${lab.maxPressureFrom === 'option' ? '--max-pressure' : "the base policy's own"}). A flap: a scaling event reversed within ${formatDuration(lab.flapWindowSecs)}.`,
    ],
    intro,
    sections,
  });
};

/** Writes the lab's HTML report; returns its path. */
export const writeLabReport = async (lab: LabResult, path: string, name: string): Promise<string> => {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, renderLabReport(lab, name));
  return path;
};
