import type { Policy } from '../core/model/policy.ts';
import { NS_PER_SECOND } from '../core/time/ns.ts';
import { evaluateCandidate } from './evaluate-candidate.ts';
import type { CandidateRun, LabTimeline } from './evaluate-candidate.ts';
import { byCost, paretoFront, recommend } from './pareto.ts';
import { describePressure, pressureOfPolicy } from './pressure.ts';
import type { Pressure } from './pressure.ts';
import { policyFor } from './replay-policies.ts';
import type { ReplayOptions, ReplayResult } from './replay-types.ts';
import { runReplay } from './run-replay.ts';
import { scoreEvents } from './scores.ts';
import type { CandidateScores } from './scores.ts';
import { describeChanges } from './vary.ts';
import type { Candidate, CandidateSet } from './vary.ts';
import { formatDuration } from './format-duration.ts';

export interface LabOptions
  extends Omit<ReplayOptions, 'capture' | 'extraMetricTypes' | 'keep' | 'noBreachDecisions' | 'policies'> {
  /** From buildCandidates; the first is the base policy. */
  readonly candidates: CandidateSet;
  /** The yardsticks for every app; the base policy's scale-out rules of each app when absent. */
  readonly pressure?: readonly Pressure[] | undefined;
  /** Seconds under pressure the recommendation may have; the base policy's own when absent. */
  readonly maxPressureSecs?: number | undefined;
  /** A reversal within this many seconds of a scaling event is a flap; twice the base's longest cooldown when absent. */
  readonly flapWindowSecs?: number | undefined;
  readonly onCandidate?: (done: number, total: number) => void;
}

export interface LabCandidate {
  readonly candidate: Candidate;
  readonly scores: CandidateScores;
  readonly front: boolean;
}

export interface LabResult {
  /** The full replay of the base policy (read, aggregated, persisted and evaluated once). */
  readonly replay: ReplayResult;
  readonly candidates: readonly LabCandidate[];
  readonly invalid: CandidateSet['invalid'];
  readonly recommended: number;
  readonly why: string;
  readonly maxPressureSecs: number;
  readonly maxPressureFrom: 'base policy' | 'option';
  /** The yardsticks, in words (`cpu > 70`), for the whole sweep. */
  readonly pressure: readonly string[];
  readonly flapWindowSecs: number;
  /** The aggregated metrics as recorded, which every candidate was evaluated on. */
  readonly timeline: LabTimeline;
  /** Evaluations keeping every breach, call and metric, of the recommended candidate and of the base policy. */
  readonly detail: { readonly recommended: CandidateRun; readonly base: CandidateRun };
}

const twice = (run: CandidateRun) => ({ recommended: run, base: run });

const policiesOf = (candidate: Candidate, appIds: Iterable<string>): Map<string, Policy> => {
  const map = new Map<string, Policy>();
  for (const appId of appIds) {
    const policy = policyFor(candidate.policies, appId);
    if (policy) map.set(appId, policy);
  }
  return map;
};

/**
 * The policy lab: replays the recording once under the base policy, keeping the aggregated metrics
 * as recorded, then evaluates every candidate on them (evaluateCandidate), scores each one and
 * recommends the cheapest candidate of the cost/pressure Pareto front within the pressure limit.
 */
export const runPolicyLab = async (options: LabOptions): Promise<LabResult> => {
  const { candidates: set } = options;
  const base = set.candidates[0];
  if (!base?.base) throw new Error('the base policy is not a valid policy');
  const timeline: LabTimeline & { metrics: LabTimeline['metrics']; reporting: number[] } = {
    metrics: [],
    reporting: [],
    startNs: 0n,
    endNs: 0n,
  };
  const extra = [...new Set((options.pressure ?? []).map((p) => p.metricType))];
  const replay = await runReplay({
    ...options,
    policies: base.policies,
    keep: (d) => d.kind !== 'no-breach',
    noBreachDecisions: false,
    ...(extra.length > 0 ? { extraMetricTypes: extra } : {}),
    capture: (metric, reporting) => {
      timeline.metrics.push(metric);
      timeline.reporting.push(reporting);
    },
  });
  const fullTimeline: LabTimeline = { ...timeline, startNs: replay.startNs, endNs: replay.endNs };
  const appIds = [...replay.policies.keys()];
  const basePolicies = replay.policies;
  const yardsticks = new Map<string, readonly Pressure[]>();
  for (const [appId, policy] of basePolicies) yardsticks.set(appId, options.pressure ?? pressureOfPolicy(policy));
  const pressure = (appId: string) => yardsticks.get(appId) ?? [];
  const longestCooldown = Math.max(
    options.settings.defaultCoolDownSecs,
    ...[...basePolicies.values()].flatMap((p) => p.rules.map((r) => r.coolDownSecs)),
  );
  const flapWindowSecs = options.flapWindowSecs ?? 2 * longestCooldown;

  const run = (candidate: Candidate, detail: boolean): CandidateRun =>
    evaluateCandidate({
      timeline: fullTimeline,
      policies: policiesOf(candidate, appIds),
      loadModel: replay.loadModel,
      settings: options.settings,
      initialInstances: options.initialInstances,
      pressure,
      screening: detail ? 'breaches' : 'state',
      detail,
    });
  const scored = set.candidates.map((candidate, i) => {
    const result = run(candidate, false);
    options.onCandidate?.(i + 1, set.candidates.length);
    return {
      candidate,
      scores: scoreEvents({
        events: result.events,
        appIds,
        startNs: replay.startNs,
        endNs: replay.endNs,
        initialInstances: result.initialInstances,
        flapWindowNs: BigInt(flapWindowSecs) * NS_PER_SECOND,
        pressureSecs: result.pressureSecs,
      }),
    };
  });
  const scores = scored.map((s) => s.scores);
  const front = new Set(paretoFront(scores));
  const maxPressureSecs = options.maxPressureSecs ?? scores[0]!.pressureSecs;
  const pick = recommend(scores, [...front], maxPressureSecs);
  const chosen = scored[pick.index]!;
  const limit = `${formatDuration(maxPressureSecs)} (${options.maxPressureSecs === undefined ? "the base policy's own" : '--max-pressure'})`;
  const name = `#${pick.index} (${describeChanges(chosen.candidate.changes)})`;
  const cheaper = [...front].filter((i) => i !== pick.index && byCost(scores)(i, pick.index) < 0);
  const why = pick.withinLimit
    ? `${name} is the cheapest candidate on the cost/pressure front whose time under pressure, ${formatDuration(chosen.scores.pressureSecs)}, is within ${limit}: ${chosen.scores.instanceHours} instance-hours, ${chosen.scores.flaps} flap(s)${cheaper.length > 0 ? `; the cheaper ${cheaper.map((i) => `#${i}`).join(', ')} ${cheaper.length === 1 ? 'spends' : 'spend'} more time under pressure` : ''}.`
    : `No candidate on the front stays within ${limit}; ${name} spends the least time under pressure (${formatDuration(chosen.scores.pressureSecs)}) at ${chosen.scores.instanceHours} instance-hours.`;
  return {
    replay,
    candidates: scored.map((s, i) => ({ ...s, front: front.has(i) })),
    invalid: set.invalid,
    recommended: pick.index,
    why,
    maxPressureSecs,
    maxPressureFrom: options.maxPressureSecs === undefined ? 'base policy' : 'option',
    pressure: [...new Set([...yardsticks.values()].flat().map(describePressure))],
    flapWindowSecs,
    timeline: fullTimeline,
    detail:
      pick.index === 0 ? twice(run(base, true)) : { recommended: run(chosen.candidate, true), base: run(base, true) },
  };
};
