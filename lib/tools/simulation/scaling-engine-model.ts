import type { Trigger } from '../../core/model/policy.ts';
import type { ScaleReply } from '../../core/model/scale-reply.ts';
import { NS_PER_SECOND } from '../../core/time/ns.ts';

/**
 * The scaling engine's reply body (docs/anchor-compatibility.md#scaling-engine): 0 scaled, 1
 * failed, 2 ignored.
 */
export interface ScalingResult {
  readonly app_id: string;
  readonly status: 0 | 1 | 2;
  /** New instances minus old instances. */
  readonly adjustment: number;
  /** ns; the new expiry when scaled, the running one when in cooldown, else 0. */
  readonly cool_down_expired_at: bigint;
}

/** One call the model answered, with the instance counts around it, for summaries and reports. */
export interface ScalingEvent {
  readonly at: bigint;
  readonly trigger: Trigger;
  readonly result: ScalingResult;
  readonly before: number;
  readonly after: number;
  /** Why the call was ignored or failed; absent when it scaled. */
  readonly reason?: string;
}

export interface ScalingEngineModelOptions {
  readonly now: () => bigint;
  /** The policy's instance_min_count / instance_max_count; undefined for an app without a policy. */
  readonly limits: (appId: string) => { readonly min: number; readonly max: number } | undefined;
  /** Instances before the first scaling; the policy minimum when absent. */
  readonly initialInstances?: (appId: string) => number;
  /** Applied when a trigger carries cool_down_secs <= 0 (the engine's own default is 300 s). */
  readonly defaultCoolDownSecs?: number;
}

export interface ScalingEngineModel {
  scale(trigger: Trigger): ScalingResult;
  instances(appId: string): number;
  /** Every answered call, oldest first. */
  events(): readonly ScalingEvent[];
}

const ADJUSTMENT = /^([-+])([1-9][0-9]*)(%?)$/;

/**
 * The instance count an adjustment asks for. Steps add; a percentage is taken of the current count and
 * the result rounded up (ceil), as the scaling engine does. Integer arithmetic avoids the float
 * artefact where 10 × 1.1 rounds up to 12. Undefined for text the policy schema would reject.
 */
export const applyAdjustment = (current: number, adjustment: string): number | undefined => {
  const match = ADJUSTMENT.exec(adjustment);
  if (!match) return undefined;
  const sign = match[1] === '-' ? -1 : 1;
  const amount = Number(match[2]);
  if (!Number.isSafeInteger(amount)) return undefined;
  if (match[3] !== '%') return current + sign * amount;
  const numerator = current * (100 + sign * amount);
  return Math.ceil(numerator / 100);
};

/**
 * An in-memory scaling engine for replays and tests: keeps one instance count per app within the
 * policy's bounds and answers like the real one, including cooldown
 * (docs/anchor-compatibility.md#scaling-engine).
 */
export const createScalingEngineModel = (options: ScalingEngineModelOptions): ScalingEngineModel => {
  const counts = new Map<string, number>();
  const cooldowns = new Map<string, bigint>();
  const history: ScalingEvent[] = [];
  const defaultCoolDownSecs = options.defaultCoolDownSecs ?? 300;

  const instances = (appId: string): number => {
    const known = counts.get(appId);
    if (known !== undefined) return known;
    const bounds = options.limits(appId);
    return options.initialInstances?.(appId) ?? bounds?.min ?? 1;
  };

  const answer = (
    trigger: Trigger,
    at: bigint,
    before: number,
    after: number,
    result: ScalingResult,
    reason?: string,
  ) => {
    history.push({ at, trigger, result, before, after, ...(reason === undefined ? {} : { reason }) });
    return result;
  };

  return {
    instances,
    events: () => history,
    scale(trigger) {
      const at = options.now();
      const appId = trigger.appId;
      const before = instances(appId);
      const ignored = (expiry: bigint, reason: string) =>
        answer(
          trigger,
          at,
          before,
          before,
          { app_id: appId, status: 2, adjustment: 0, cool_down_expired_at: expiry },
          reason,
        );

      const bounds = options.limits(appId);
      if (!bounds) return ignored(0n, 'no policy');
      const expiry = cooldowns.get(appId);
      // An expiry equal to now is over, as in the evaluator's own cooldown check.
      if (expiry !== undefined && expiry > at) return ignored(expiry, 'in cooldown');
      const wanted = applyAdjustment(before, trigger.adjustment);
      if (wanted === undefined) {
        return answer(
          trigger,
          at,
          before,
          before,
          { app_id: appId, status: 1, adjustment: 0, cool_down_expired_at: 0n },
          `invalid adjustment ${JSON.stringify(trigger.adjustment)}`,
        );
      }
      const after = Math.min(bounds.max, Math.max(bounds.min, wanted));
      if (after === before)
        return ignored(
          0n,
          after === wanted
            ? 'instance count unchanged'
            : `instance count at ${after === bounds.max ? 'maximum' : 'minimum'}`,
        );

      const coolDownSecs = trigger.coolDownSecs > 0 ? trigger.coolDownSecs : defaultCoolDownSecs;
      const until = at + BigInt(coolDownSecs) * NS_PER_SECOND;
      counts.set(appId, after);
      cooldowns.set(appId, until);
      return answer(trigger, at, before, after, {
        app_id: appId,
        status: 0,
        adjustment: after - before,
        cool_down_expired_at: until,
      });
    },
  };
};

/**
 * The reply a scaling call gets when the engine answers 200 with `result`, as the service's reply
 * parser reads that body (parseScaleReply), without writing and parsing the JSON: a replay asks
 * the model tens of thousands of times. A spec holds it equal to the parser's reading.
 */
export const replyOfResult = (result: ScalingResult): ScaleReply => ({
  ok: true,
  status: 200,
  cooldownExpiredAt: result.cool_down_expired_at,
  adjustment: result.adjustment,
  scalingStatus: result.status,
});
