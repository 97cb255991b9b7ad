import { defer, from, Observable } from 'rxjs';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { Decision } from '../lib/core/model/decision.ts';
import type { Trigger } from '../lib/core/model/policy.ts';
import type { BreakerRegistry } from '../lib/core/scaling/breaker-registry.ts';
import type { CircuitBreaker } from '../lib/core/scaling/circuit-breaker.ts';
import type { Cooldowns } from '../lib/core/scaling/cooldowns.ts';
import type { Scale } from '../lib/core/model/ports.ts';
import type { ScaleReply } from '../lib/core/model/scale-reply.ts';
import { msToNs, nowNs, secondsToNs } from '../lib/core/time/ns.ts';
import { errorText } from '../lib/core/error-text.ts';

export type BreachDecision = Extract<Decision, { kind: 'breach' }>;

/** Per-app state shared by every evaluation of one pipeline subscription. */
export interface ScalingContext {
  readonly scheduler: SchedulerLike;
  readonly scale: Scale;
  readonly cooldowns: Cooldowns;
  readonly breakers: BreakerRegistry;
  /** Apps with a scaling call under way: their further breaches are not sent (no pile-up). */
  readonly inFlight: Set<string>;
}

const emit = (...decisions: Decision[]): Observable<Decision> => from(decisions);
const NO_REPLY: ScaleReply = { ok: false, error: 'the scaling call ended without a reply' };

export const IN_FLIGHT_REASON = 'breached, but a scaling call for this app is still in flight; not sent';

const transition = (
  breaker: CircuitBreaker | undefined,
  before: string | undefined,
  at: bigint,
  appId: string,
): Decision[] =>
  breaker && breaker.state() !== before
    ? [{ kind: 'breaker-state', at, appId, state: breaker.state(), consecutiveFailures: breaker.consecutiveFailures() }]
    : [];

/**
 * What follows a breached rule (docs/anchor-compatibility.md#cooldown, #circuit-breaker,
 * #scaling-engine), in this order of checks:
 * - a call for the app is in flight: `no-breach` with IN_FLIGHT_REASON instead of `breach`;
 * - the app is in cooldown: `breach`, `cooldown-hold`;
 * - its breaker refuses: `breach`, `breaker-open`;
 * - otherwise `breach`, [`breaker-state` half-open], `scaling-call`, then `scaling-result` and any
 *   `breaker-state` change once `scale` replies.
 * A reply's non-zero `cooldownExpiredAt` starts a cooldown; a successful reply without one falls
 * back to the rule's cool_down_secs; an explicit 0 means none
 * (docs/anchor-compatibility.md#change-cooldown). The result's `cooldownExpiredAt` is the cooldown
 * that is now in force, whichever way it was set.
 */
export const scaleOnBreach = (breach: BreachDecision, ctx: ScalingContext): Observable<Decision> =>
  defer(() => {
    const { appId, trigger, ruleIndex, values } = breach;
    const at = nowNs(ctx.scheduler);
    if (ctx.inFlight.has(appId)) {
      return emit({
        kind: 'no-breach',
        at,
        appId,
        ruleIndex,
        metricType: trigger.metricType,
        reason: IN_FLIGHT_REASON,
        values,
      });
    }
    const cooldownUntil = ctx.cooldowns.activeUntil(appId, at);
    if (cooldownUntil !== undefined)
      return emit(breach, { kind: 'cooldown-hold', at, appId, trigger, cooldownUntil, ruleIndex, values });

    // No breaker (the app left the policy map meanwhile) means a direct call, as in the anchor.
    const breaker = ctx.breakers.get(appId);
    const before = breaker?.state();
    const gate = breaker ? breaker.request(ctx.scheduler.now()) : undefined;
    if (gate && !gate.allowed) {
      return emit(breach, {
        kind: 'breaker-open',
        at,
        appId,
        trigger,
        retryAfter: msToNs(gate.retryAfterMs),
        ruleIndex,
        values,
      });
    }
    return scalingCall(breach, at, breaker, before, ctx);
  });

/**
 * The breach, its breaker transition and `scaling-call` at once, then the first reply of `scale`
 * settled (none: NO_REPLY; an error: a failed reply), as concat, take(1), defaultIfEmpty,
 * catchError and finalize would do it, without their five subscribers per call: a burst of 1,000
 * breaches settled 1,000 of these chains. The app is in flight from the subscription to its
 * teardown (the reply settled, or unsubscribed before it).
 */
const scalingCall = (
  breach: BreachDecision,
  at: bigint,
  breaker: CircuitBreaker | undefined,
  before: string | undefined,
  ctx: ScalingContext,
): Observable<Decision> =>
  new Observable<Decision>((subscriber) => {
    const { appId, trigger } = breach;
    ctx.inFlight.add(appId);
    const opened = [
      breach,
      ...transition(breaker, before, at, appId),
      { kind: 'scaling-call', at, appId, trigger, ruleIndex: breach.ruleIndex, values: breach.values } as Decision,
    ];
    for (const d of opened) {
      if (subscriber.closed) break;
      subscriber.next(d);
    }
    let replied = false;
    const deliver = (reply: ScaleReply): void => {
      if (replied) return;
      replied = true;
      call?.unsubscribe();
      let settled: Decision[];
      try {
        settled = settle(reply, trigger, breaker, ctx);
      } catch (err) {
        subscriber.error(err);
        return;
      }
      for (const d of settled) {
        if (subscriber.closed) return;
        subscriber.next(d);
      }
      subscriber.complete();
    };
    let call: Subscription | undefined;
    if (!subscriber.closed) {
      try {
        call = ctx.scale(trigger).subscribe({
          next: deliver,
          error: (err: unknown) => deliver({ ok: false, error: `scaling call failed: ${errorText(err)}` }),
          complete: () => deliver(NO_REPLY),
        });
      } catch (err) {
        deliver({ ok: false, error: `scaling call failed: ${errorText(err)}` });
      }
      // A reply that came at once arrived before `call` was known.
      if (replied) call?.unsubscribe();
    }
    return () => {
      call?.unsubscribe();
      ctx.inFlight.delete(appId);
    };
  });

/** Books a reply into the breaker and the cooldowns, and says what happened. */
const settle = (
  reply: ScaleReply,
  trigger: Trigger,
  breaker: CircuitBreaker | undefined,
  ctx: ScalingContext,
): Decision[] => {
  const { appId } = trigger;
  const at = nowNs(ctx.scheduler);
  const before = breaker?.state();
  if (reply.ok) breaker?.success(ctx.scheduler.now());
  else breaker?.failure(ctx.scheduler.now());

  let cooldownExpiredAt: bigint | undefined;
  if (reply.ok) {
    if (reply.cooldownExpiredAt !== undefined)
      cooldownExpiredAt = reply.cooldownExpiredAt === 0n ? undefined : reply.cooldownExpiredAt;
    else if (trigger.coolDownSecs > 0) cooldownExpiredAt = at + secondsToNs(trigger.coolDownSecs);
    if (cooldownExpiredAt !== undefined) ctx.cooldowns.record(appId, cooldownExpiredAt);
  }
  const result: Decision = reply.ok
    ? {
        kind: 'scaling-result',
        at,
        appId,
        trigger,
        ok: true,
        status: reply.status,
        ...(cooldownExpiredAt !== undefined ? { cooldownExpiredAt } : {}),
        ...(reply.adjustment !== undefined ? { adjustment: reply.adjustment } : {}),
        ...(reply.scalingStatus !== undefined ? { scalingStatus: reply.scalingStatus } : {}),
      }
    : {
        kind: 'scaling-result',
        at,
        appId,
        trigger,
        ok: false,
        ...(reply.status !== undefined ? { status: reply.status } : {}),
        error: reply.error,
      };
  return [result, ...transition(breaker, before, at, appId)];
};
