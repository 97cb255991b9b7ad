import { concat, defer, from, of } from 'rxjs';
import { catchError, defaultIfEmpty, finalize, mergeMap, take } from 'rxjs/operators';
import type { Observable, SchedulerLike } from 'rxjs';
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

    ctx.inFlight.add(appId);
    const result$ = defer(() => ctx.scale(trigger)).pipe(
      take(1),
      defaultIfEmpty(NO_REPLY),
      catchError((err: unknown) =>
        of<[ScaleReply]>({
          ok: false,
          error: `scaling call failed: ${errorText(err)}`,
        }),
      ),
      mergeMap((reply) => settle(reply, trigger, breaker, ctx)),
    );
    return concat(
      emit(breach, ...transition(breaker, before, at, appId), {
        kind: 'scaling-call',
        at,
        appId,
        trigger,
        ruleIndex: breach.ruleIndex,
        values: breach.values,
      }),
      result$,
    ).pipe(finalize(() => ctx.inFlight.delete(appId)));
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
