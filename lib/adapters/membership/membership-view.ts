import type { Observable } from 'rxjs';
import type { LeasePhase } from './lease-state.ts';

/**
 * Which apps this instance evaluates right now. Consumers keep the latest view and ask `owns`
 * for each app; a new view is emitted whenever the answer may have changed.
 */
export interface MembershipView {
  readonly self: string;
  /** The live members (dynamic) or every shard index (static), sorted. */
  readonly members: readonly string[];
  /** `static`: CF_INSTANCE_INDEX sharding; `stopped`: after `stop()`, owns nothing. */
  readonly phase: LeasePhase | 'static' | 'stopped';
  /** ns instant from which this view holds. */
  readonly settledAt: bigint;
  owns(appId: string): boolean;
}

export interface Membership {
  /** The current view to every subscriber at once, then each change; completes after `stop()`. */
  readonly view$: Observable<MembershipView>;
  /** Stops owning apps, then gives up the lease so the survivors take over at once. */
  stop(): Promise<void>;
}
