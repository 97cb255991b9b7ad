import { BehaviorSubject, asyncScheduler } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import { belongsToShard } from '../../core/policy/shard.ts';
import { nowNs } from '../../core/time/ns.ts';
import type { Membership, MembershipView } from './membership-view.ts';

/**
 * The anchor's fixed sharding (docs/anchor-compatibility.md#sharding): instance `instanceIndex` of
 * `totalInstances` owns the apps whose FNV-1a 32 hash falls on its index. Nothing moves when an
 * instance is lost.
 */
export const createStaticMembership = (
  instanceIndex: number,
  totalInstances: number,
  options: { readonly scheduler?: SchedulerLike } = {},
): Membership => {
  const scheduler = options.scheduler ?? asyncScheduler;
  const members = Array.from({ length: Math.max(0, totalInstances) }, (_, i) => String(i));
  const view$ = new BehaviorSubject<MembershipView>({
    self: String(instanceIndex),
    members,
    phase: 'static',
    settledAt: nowNs(scheduler),
    owns: (appId) => belongsToShard(appId, instanceIndex, totalInstances),
  });
  let stopped = false;
  return {
    view$: view$.asObservable(),
    async stop() {
      if (stopped) return;
      stopped = true;
      view$.next({
        self: String(instanceIndex),
        members: [],
        phase: 'stopped',
        settledAt: nowNs(scheduler),
        owns: () => false,
      });
      view$.complete();
    },
  };
};
