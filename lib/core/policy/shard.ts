import { fnv1a32 } from './fnv1a.ts';

/**
 * Whether this instance owns the app (docs/anchor-compatibility.md#sharding). With one instance
 * every app is owned; an invalid pool (validated at startup) owns nothing rather than everything.
 */
export const belongsToShard = (appId: string, instanceIndex: number, totalInstances: number): boolean => {
  if (totalInstances === 1) return true;
  if (!Number.isInteger(totalInstances) || totalInstances < 1) return false;
  return fnv1a32(appId) % totalInstances === instanceIndex;
};
