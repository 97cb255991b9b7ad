import { NS_PER_SECOND } from '../../core/time/ns.ts';

/**
 * How long a token is used before it is refreshed (docs/anchor-compatibility.md#log-cache-auth):
 * `expires_in` minus a buffer of 30 s, or of half the lifetime (floored) for tokens of 30 s or
 * less. 3600 → 3570, 31 → 1, 30 → 15, 1 → 1.
 */
export const usableLifetimeSecs = (expiresIn: number): number => {
  const buffer = expiresIn > 30 ? 30 : Math.floor(expiresIn / 2);
  return expiresIn - buffer;
};

/** The instant (ns) until which a token fetched at `fetchedAt` may be used. */
export const validUntil = (fetchedAt: bigint, expiresIn: number): bigint =>
  fetchedAt + BigInt(usableLifetimeSecs(expiresIn)) * NS_PER_SECOND;
