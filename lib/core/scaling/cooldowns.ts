export interface Cooldowns {
  /**
   * The expiry (ns) while the app is in cooldown at `now`; undefined once it is over (expiry == now
   * is over, docs/anchor-compatibility.md#cooldown).
   */
  activeUntil(appId: string, now: bigint): bigint | undefined;
  /** Stores an expiry, replacing any earlier one. */
  record(appId: string, expiresAt: bigint): void;
}

/**
 * Per-app cooldown expiries. Expired entries are dropped when read, so the map does not grow for
 * ever (docs/anchor-compatibility.md#change-cooldown).
 */
export const createCooldowns = (): Cooldowns => {
  const until = new Map<string, bigint>();
  return {
    activeUntil(appId, now) {
      const expiry = until.get(appId);
      if (expiry === undefined) return undefined;
      if (expiry > now) return expiry;
      until.delete(appId);
      return undefined;
    },
    record(appId, expiresAt) {
      until.set(appId, expiresAt);
    },
  };
};
