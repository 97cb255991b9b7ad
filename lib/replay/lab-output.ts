import { stringify } from '../core/json/bigint-json.ts';
import { formatUtc } from '../tools/report/format-time.ts';
import { formatDuration } from './format-duration.ts';
import { describeLoadModel } from './load-model.ts';
import { byCost } from './pareto.ts';
import type { LabResult } from './policy-lab.ts';
import { describeChanges } from './vary.ts';

/** Candidate indexes, cheapest first (see byCost). */
export const labOrder = (lab: LabResult): number[] =>
  lab.candidates.map((_c, i) => i).sort(byCost(lab.candidates.map((c) => c.scores)));

const pad = (cells: readonly string[], widths: readonly number[], right: ReadonlySet<number>) =>
  cells
    .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
    .join('  ')
    .trimEnd();

/** The terminal table: one row per candidate, cheapest first; `*` on the front, `>` recommended. */
/** A candidate's changes and scores as text, in the column order the table and the report share. */
export const candidateCells = (c: LabResult['candidates'][number]): string[] => [
  describeChanges(c.candidate.changes),
  String(c.scores.scaleOuts),
  String(c.scores.scaleIns),
  String(c.scores.flaps),
  c.scores.instanceHours.toFixed(3),
  formatDuration(c.scores.pressureSecs),
];

export const renderLabTable = (lab: LabResult, name: string): string => {
  const r = lab.replay;
  const lines = [
    `${name}: ${r.envelopes} envelopes, ${formatUtc(r.startNs)} to ${formatUtc(r.endNs)} UTC, ${r.policies.size} app(s), ${lab.candidates.length} candidate(s)`,
    describeLoadModel(r.loadModel),
    `pressure: ${lab.pressure.join(' or ') || 'none'} (seconds at the candidate's simulated instance count, summed over apps); flap: a reversal within ${formatDuration(lab.flapWindowSecs)}`,
  ];
  const header = ['', '#', 'candidate', 'out', 'in', 'flaps', 'instance-h', 'pressure'];
  const body = labOrder(lab).map((i) => {
    const c = lab.candidates[i]!;
    return [`${i === lab.recommended ? '>' : ' '}${c.front ? '*' : ' '}`, String(i), ...candidateCells(c)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const right = new Set([1, 3, 4, 5, 6, 7]);
  lines.push(
    pad(header, widths, right),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.map((b) => pad(b, widths, right)),
  );
  lines.push(
    '* on the cost/pressure front (no other candidate is both cheaper and less under pressure)  > recommended',
  );
  lines.push(`recommended: ${lab.why}`);
  for (const bad of lab.invalid) lines.push(`skipped (${describeChanges(bad.changes)}): ${bad.reason}`);
  return `${lines.join('\n')}\n`;
};

/** `--json`: `candidates` (each with its policy and scores) and `recommended`, an index into them. */
export const renderLabJson = (lab: LabResult, recording: string): string => {
  const r = lab.replay;
  return `${stringify({
    recording,
    loadModel: r.loadModel,
    start: r.startNs,
    end: r.endNs,
    envelopes: r.envelopes,
    pressure: lab.pressure,
    maxPressureSecs: lab.maxPressureSecs,
    maxPressureFrom: lab.maxPressureFrom,
    flapWindowSecs: lab.flapWindowSecs,
    candidates: lab.candidates.map((c, i) => ({
      index: i,
      base: c.candidate.base,
      changes: c.candidate.changes,
      policy: c.candidate.document,
      scores: c.scores,
      front: c.front,
    })),
    recommended: lab.recommended,
    why: lab.why,
    invalid: lab.invalid,
  })}\n`;
};
