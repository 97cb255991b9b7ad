import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Decision } from '../core/model/decision.ts';
import { buildReportData } from '../tools/report/report-data.ts';
import { formatUtc } from '../tools/report/format-time.ts';
import { renderReport } from '../tools/report/render-report.ts';
import { renderSummaryTable } from '../tools/report/summary-table.ts';
import { scalingRows } from '../tools/report/scaling-rows.ts';
import type { ScalingRow } from '../tools/report/scaling-rows.ts';
import { describeLoadModel } from './load-model.ts';
import type { ReplayResult } from './run-replay.ts';

/** Model answers joined with their breaches: the summary's rows. */
export const replayRows = (result: ReplayResult): ScalingRow[] =>
  scalingRows(result.events, result.decisions, result.appNames);

/** Lines worth telling the operator besides the events: skipped lines, late envelopes, uncovered sources. */
const replayNotes = (result: ReplayResult): string[] => {
  const notes: string[] = [describeLoadModel(result.loadModel)];
  if (result.issueCount > 0)
    notes.push(
      `${result.issueCount} line(s) of the recording skipped; first: line ${result.issues[0]?.line}: ${result.issues[0]?.reason}`,
    );
  if (result.lateEnvelopes > 0)
    notes.push(`${result.lateEnvelopes} envelope(s) older than the one before them were delivered late`);
  if (result.unmatchedSources.length > 0)
    notes.push(
      `no policy for ${result.unmatchedSources.length} source(s): ${result.unmatchedSources.slice(0, 5).join(', ')}${result.unmatchedSources.length > 5 ? ', …' : ''}`,
    );
  return notes;
};

/** The terminal summary: the events table plus the notes. */
export const replaySummary = (result: ReplayResult, name: string): string => {
  const head = `${name}: ${result.envelopes} envelopes, ${formatUtc(result.startNs)} to ${formatUtc(result.endNs)} UTC, ${result.policies.size} app(s)`;
  return `${[head, renderSummaryTable(replayRows(result), result.startNs).trimEnd(), ...replayNotes(result)].join('\n')}\n`;
};

/** Writes the HTML report of a replay; returns its path. */
export const writeReplayReport = async (result: ReplayResult, path: string, name: string): Promise<string> => {
  const html = renderReport(
    buildReportData({
      title: `Replay of ${name}`,
      subtitle: `${result.envelopes} envelopes from ${formatUtc(result.startNs)} to ${formatUtc(result.endNs)} UTC · ${result.policies.size} app(s) · ${result.events.filter((e) => e.result.status === 0).length} scaling event(s)`,
      startNs: result.startNs,
      endNs: result.endNs,
      policies: result.policies,
      appNames: result.appNames,
      series: result.series,
      breaches: result.decisions.filter((d): d is Extract<Decision, { kind: 'breach' }> => d.kind === 'breach'),
      events: result.events,
      rows: replayRows(result),
      initialInstances: result.initialInstances,
      notes: replayNotes(result),
    }),
  );
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, html);
  return path;
};
