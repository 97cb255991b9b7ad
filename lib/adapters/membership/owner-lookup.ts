import type { OwnerInfo } from '../../core/explain/explain-app.ts';
import { belongsToShard } from '../../core/policy/shard.ts';
import type { MembershipView } from './membership-view.ts';
import type { MemberDirectory } from './member-directory.ts';
import { rendezvousOwner } from './rendezvous.ts';

export interface OwnerLookupOptions {
  /** The latest membership view, if one has been seen. */
  readonly view: () => MembershipView | undefined;
  /** Lease mode: where the members' instance indexes are read. */
  readonly directory?: MemberDirectory | undefined;
  /** Static mode: the pool size. */
  readonly totalInstances: number;
  /** On Cloud Foundry: the app's own guid (VCAP_APPLICATION application_id). */
  readonly cfAppGuid?: string | undefined;
}

/**
 * Which instance evaluates an app: the rendezvous owner among the live lease members, or the shard
 * of the static pool; with the `X-Cf-App-Instance` value that routes a request to it on CF.
 */
export const createOwnerLookup =
  (options: OwnerLookupOptions) =>
  async (appId: string): Promise<OwnerInfo> => {
    const view = options.view();
    if (view === undefined) return { thisInstance: false };
    const thisInstance = view.owns(appId);
    let memberId: string | undefined;
    let instanceIndex: number | undefined;
    if (view.phase === 'static' || options.directory === undefined) {
      const total = options.totalInstances;
      const index = [...Array(Math.max(total, 1)).keys()].find((i) => belongsToShard(appId, i, total));
      if (index !== undefined) {
        memberId = String(index);
        instanceIndex = index;
      }
    } else {
      memberId = rendezvousOwner(appId, view.members);
      if (memberId !== undefined) instanceIndex = (await options.directory.instanceIndexes()).get(memberId);
    }
    return {
      ...(memberId !== undefined ? { memberId } : {}),
      ...(instanceIndex !== undefined ? { instanceIndex } : {}),
      thisInstance,
      ...(options.cfAppGuid && instanceIndex !== undefined
        ? { cfAppInstance: `${options.cfAppGuid}:${instanceIndex}` }
        : {}),
    };
  };

export type OwnerLookup = ReturnType<typeof createOwnerLookup>;
