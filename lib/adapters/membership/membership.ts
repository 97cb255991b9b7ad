import {
  Subject,
  catchError,
  concatWith,
  defer,
  distinctUntilChanged,
  exhaustMap,
  filter,
  map,
  merge,
  of,
  scan,
  shareReplay,
  switchMap,
  takeUntil,
  tap,
  timeout,
  timer,
  firstValueFrom,
} from 'rxjs';
import type { Observable, SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import { nowNs } from '../../core/time/ns.ts';
import { rendezvousOwner } from './rendezvous.ts';
import { afterHeartbeat, initialLeaseState, phaseAt, phaseChangesAfter } from './lease-state.ts';
import type { Heartbeat, LeaseState } from './lease-state.ts';
import type { LeaseStore } from './lease-store.ts';
import type { Membership, MembershipView } from './membership-view.ts';
import { errorText } from '../../core/error-text.ts';
import { fromCall } from '../../core/from-call.ts';

export type { Membership, MembershipView } from './membership-view.ts';
export { createStaticMembership } from './static-membership.ts';

export interface MembershipOptions {
  readonly store: LeaseStore;
  /** Unique per running process (on CF: CF_INSTANCE_GUID); a restart under the same id is fine. */
  readonly memberId: string;
  readonly ttlMs: number;
  readonly heartbeatMs: number;
  /** How long a (re)joining member waits before owning apps while others are live; default ttlMs. */
  readonly holdOffMs?: number;
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  /** Written to the lease row for operators (index, version...). */
  readonly info?: Readonly<Record<string, unknown>>;
}

type BeatOutcome = { readonly ok: true; readonly beat: Heartbeat } | { readonly ok: false; readonly err: Error };

const PRUNE_EVERY_BEATS = 500;
const PRUNE_GRACE_MS = 3_600_000;

/**
 * Dynamic sharding over the instances that hold a lease in the shared database: every app goes to
 * its rendezvous owner among the live members.
 *
 * ```
 * heartbeat  0----1----2----x----x----x----5----   (x: database unreachable)
 * view$      a---------b------------l------h--a-   (a active, l lapsed at ttl, h holding, b: a member left)
 * ```
 * Bounds: a member that dies or hangs loses its apps to the survivors within ttl + heartbeat (its
 * lease expires, then each survivor reads the list within one heartbeat); a graceful `stop()`
 * hands over within one heartbeat; a (re)joining member starts owning after `holdOffMs`.
 *
 * Heartbeats use `exhaustMap` (a slow database skips beats rather than queueing them), each bounded
 * by the ttl; a failed beat changes nothing but is logged, and the lease simply runs out.
 */
export const createMembership = (options: MembershipOptions): Membership => {
  const { store, memberId, ttlMs, heartbeatMs, scheduler, logger } = options;
  const holdOffMs = options.holdOffMs ?? ttlMs;
  if (!(heartbeatMs > 0 && heartbeatMs < ttlMs)) {
    throw new RangeError(
      `membership heartbeat (${heartbeatMs} ms) must be positive and shorter than the lease ttl (${ttlMs} ms)`,
    );
  }
  const log = logger.child({ component: 'membership', memberId });
  const stop$ = new Subject<void>();
  const pending = new Set<Promise<unknown>>();
  let stopped = false;
  let beats = 0;

  const track = <T>(promise: Promise<T>): Promise<T> => {
    pending.add(promise);
    const forget = () => pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  };

  const heartbeat = async (): Promise<Heartbeat> => {
    if (beats++ % PRUNE_EVERY_BEATS === 0) {
      await store
        .pruneExpired(PRUNE_GRACE_MS)
        .catch((err: Error) =>
          log.warn({ err }, `could not prune expired leases (${err.message}); they are ignored anyway`),
        );
    }
    const sentAt = scheduler.now();
    await store.renew(memberId, ttlMs, options.info);
    const members = await store.liveMembers();
    return { sentAt, doneAt: scheduler.now(), members };
  };

  // The latest lease state and view: a view keeps answering for its member list only while it is
  // the current one, and always against the newest lease (renewals that change nothing emit no view).
  let lease = initialLeaseState;
  let current: MembershipView | undefined;

  // `at` is the instant a timer was due for: timers may fire a hair early on the wall clock.
  const viewOf = (state: LeaseState, at: number): MembershipView => {
    const owner = new Map<string, boolean>();
    const view: MembershipView = {
      self: memberId,
      members: state.members,
      phase: phaseAt(state, memberId, Math.max(at, scheduler.now())),
      settledAt: nowNs(scheduler),
      // The clock is read on every call, so a process that wakes from a long pause does not act
      // on a lease that ran out while it slept.
      owns(appId) {
        if (stopped || current !== view || phaseAt(lease, memberId, scheduler.now()) !== 'active') return false;
        let mine = owner.get(appId);
        if (mine === undefined) owner.set(appId, (mine = rendezvousOwner(appId, state.members) === memberId));
        return mine;
      },
    };
    return view;
  };

  const outcome$: Observable<BeatOutcome> = timer(0, heartbeatMs, scheduler).pipe(
    exhaustMap(() =>
      fromCall(() => track(heartbeat())).pipe(
        timeout({ first: ttlMs, scheduler }),
        map((beat): BeatOutcome => ({ ok: true, beat })),
        catchError((err: Error) => of<BeatOutcome>({ ok: false, err })),
      ),
    ),
  );

  const stoppedView = (): MembershipView => ({
    self: memberId,
    members: [],
    phase: 'stopped',
    settledAt: nowNs(scheduler),
    owns: () => false,
  });

  const live$ = outcome$.pipe(
    tap((o) => {
      if (!o.ok)
        log.warn(
          { err: o.err },
          `lease heartbeat failed (${o.err.message}); apps are kept only until the lease runs out`,
        );
    }),
    filter((o): o is Extract<BeatOutcome, { ok: true }> => o.ok),
    scan((state, o) => afterHeartbeat(state, o.beat, { ttlMs, holdOffMs }), initialLeaseState),
    tap((state) => {
      lease = state;
    }),
    // switchMap: a newer lease state replaces the expiry and hold-off timers of the previous one.
    switchMap((state) => {
      const now = scheduler.now();
      const due$ = phaseChangesAfter(state, now).map((at) => timer(at - now, scheduler).pipe(map(() => at)));
      return merge(of(now), ...due$).pipe(map((at) => viewOf(state, at)));
    }),
    distinctUntilChanged((a, b) => a.phase === b.phase && a.members.join('\n') === b.members.join('\n')),
    tap((view) => {
      current = view;
      log.info({ members: view.members, phase: view.phase }, describe(view));
    }),
    takeUntil(stop$),
    concatWith(defer(() => of(stoppedView()))),
  );
  // Heartbeats start with the first subscriber and go on for every later one until stop().
  const view$ = defer(() => (stopped ? of(stoppedView()) : live$)).pipe(
    shareReplay({ bufferSize: 1, refCount: false }),
  );

  return {
    view$,
    async stop() {
      if (stopped) return;
      stopped = true;
      stop$.next();
      stop$.complete();
      // A renewal still in flight would recreate the row after we delete it; wait for it (bounded).
      await Promise.race([Promise.allSettled([...pending]), firstValueFrom(timer(ttlMs, scheduler))]);
      try {
        await store.leave(memberId);
        log.info('left the membership; survivors take over at their next heartbeat');
      } catch (err) {
        log.warn(
          { err },
          `could not remove the lease (${errorText(err)}); survivors take over once it expires (within ${ttlMs} ms)`,
        );
      }
    },
  };
};

const describe = (view: MembershipView): string => {
  switch (view.phase) {
    case 'lapsed':
      return 'lease not renewed in time: owning no apps until it is renewed';
    case 'holding':
      return 'lease (re)started while others are live: owning no apps until they have seen it';
    default:
      return `owning the rendezvous share of ${view.members.length} live member(s)`;
  }
};
