import type { ScalingEvent } from '../tools/simulation/scaling-engine-model.ts';

/** What one candidate policy would have cost and how it would have behaved. */
export interface CandidateScores {
  readonly scaleOuts: number;
  readonly scaleIns: number;
  /** Simulated instances integrated over the replayed time, all apps together. */
  readonly instanceHours: number;
  /** A scaling event reversed by the next one of the same app within the flap window. */
  readonly flaps: number;
  /** Seconds in which a pressure yardstick stood beyond its line, summed over apps. */
  readonly pressureSecs: number;
}

export interface ScoreInput {
  readonly events: readonly ScalingEvent[];
  readonly appIds: Iterable<string>;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly initialInstances: (appId: string) => number;
  /** The longest gap, ns, between a scaling event and its reversal that still counts as a flap. */
  readonly flapWindowNs: bigint;
  readonly pressureSecs: number;
}

const NS_PER_HOUR = 3_600_000_000_000n;

/**
 * Scores from the engine's answers. Instance-hours integrate each app's count from the start of the
 * recording to its end; a flap is a scale-out followed by a scale-in (or the reverse) of the same app
 * no more than the flap window after it.
 */
export const scoreEvents = (input: ScoreInput): CandidateScores => {
  let scaleOuts = 0;
  let scaleIns = 0;
  let flaps = 0;
  const byApp = new Map<string, ScalingEvent[]>();
  for (const e of input.events) {
    if (e.result.status !== 0) continue;
    if (e.after > e.before) scaleOuts += 1;
    else scaleIns += 1;
    const list = byApp.get(e.trigger.appId);
    if (list) list.push(e);
    else byApp.set(e.trigger.appId, [e]);
  }
  // Instance-nanoseconds in bigint, so the sum is exact and independent of the app order.
  let instanceNs = 0n;
  for (const appId of input.appIds) {
    let count = BigInt(input.initialInstances(appId));
    let from = input.startNs;
    const events = byApp.get(appId) ?? [];
    for (let i = 0; i < events.length; i += 1) {
      const e = events[i]!;
      instanceNs += count * (e.at - from);
      count = BigInt(e.after);
      from = e.at;
      const previous = events[i - 1];
      if (
        previous &&
        previous.after > previous.before !== e.after > e.before &&
        e.at - previous.at <= input.flapWindowNs
      )
        flaps += 1;
    }
    if (input.endNs > from) instanceNs += count * (input.endNs - from);
  }
  const hours = Number((instanceNs * 1000n) / NS_PER_HOUR) / 1000;
  return { scaleOuts, scaleIns, instanceHours: hours, flaps, pressureSecs: input.pressureSecs };
};
