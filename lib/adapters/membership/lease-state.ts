/**
 * What one member knows about its own lease, and the phase that follows from it at a given
 * instant. Pure, so the safety rules can be tested without a database or a clock.
 *
 * Safety rules (why no app is evaluated by two members at once):
 * - A member owns apps only before `validUntil` = (send time of its last heartbeat that renewed
 *   AND read the member list) + ttl. The database expires that lease no earlier, so when others see
 *   it gone the member has already stopped, whether it is hung, cut off or dead.
 * - A member that (re)starts its lease holds off for `holdOffMs` (default ttl) before owning
 *   anything while others are live: they own its apps until their next read of the member list,
 *   and every one of them either reads within a heartbeat or loses its own lease within ttl.
 * - A continuing member takes apps at once when a member leaves or expires: with rendezvous
 *   hashing it only gains an app whose previous owner is no longer live.
 */
export type LeasePhase = 'lapsed' | 'holding' | 'active';

export interface LeaseState {
  /** The live members at the last successful heartbeat, sorted; includes self when renewed. */
  readonly members: readonly string[];
  /** Local ms before which the lease is known to be valid; undefined before the first heartbeat. */
  readonly validUntil?: number;
  /** Local ms before which a member that (re)joined owns nothing while others are live. */
  readonly holdUntil: number;
}

export interface Heartbeat {
  /** Local ms when the renewal was sent (the lease runs from no earlier than this). */
  readonly sentAt: number;
  /** Local ms when the member list arrived. */
  readonly doneAt: number;
  readonly members: readonly string[];
}

export const initialLeaseState: LeaseState = { members: [], holdUntil: 0 };

export const afterHeartbeat = (
  state: LeaseState,
  beat: Heartbeat,
  timing: { readonly ttlMs: number; readonly holdOffMs: number },
): LeaseState => {
  // The lease continued only if the renewal landed before the old one could have expired;
  // otherwise others may already own our apps and we start again behind a hold-off.
  const continued = state.validUntil !== undefined && beat.doneAt < state.validUntil;
  return {
    members: beat.members,
    validUntil: beat.sentAt + timing.ttlMs,
    holdUntil: continued ? state.holdUntil : beat.doneAt + timing.holdOffMs,
  };
};

export const phaseAt = (state: LeaseState, self: string, now: number): LeasePhase => {
  if (state.validUntil === undefined || now >= state.validUntil || !state.members.includes(self)) return 'lapsed';
  // Alone, nobody else can own anything: members that expired have already stopped.
  if (state.members.length > 1 && now < state.holdUntil) return 'holding';
  return 'active';
};

/** Future instants at which the phase changes without a new heartbeat (hold-off end, expiry). */
export const phaseChangesAfter = (state: LeaseState, now: number): readonly number[] =>
  [state.holdUntil, state.validUntil].filter((t): t is number => t !== undefined && t > now);
