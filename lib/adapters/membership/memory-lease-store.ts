import type { SchedulerLike } from 'rxjs';
import type { LeaseStore } from './lease-store.ts';

/**
 * The lease store in memory, on the scheduler's clock: for single-process development, replays and
 * tests of several members in one process. Same semantics as the database store.
 */
export const createMemoryLeaseStore = (scheduler: SchedulerLike): LeaseStore => {
  const leases = new Map<string, { expiresAt: number; info?: Readonly<Record<string, unknown>> }>();
  return {
    async renew(memberId, ttlMs, info) {
      if (!Number.isInteger(ttlMs) || ttlMs <= 0)
        throw new RangeError(`lease ttl must be a positive whole number of ms, got ${ttlMs}`);
      leases.set(memberId, { expiresAt: scheduler.now() + ttlMs, info: info ?? leases.get(memberId)?.info });
    },
    async leave(memberId) {
      leases.delete(memberId);
    },
    async liveMembers() {
      const now = scheduler.now();
      return [...leases]
        .filter(([, lease]) => lease.expiresAt > now)
        .map(([id]) => id)
        .sort();
    },
    async pruneExpired(graceMs) {
      const before = scheduler.now() - graceMs;
      const dead = [...leases].filter(([, lease]) => lease.expiresAt < before).map(([id]) => id);
      for (const id of dead) leases.delete(id);
      return dead.length;
    },
  };
};
