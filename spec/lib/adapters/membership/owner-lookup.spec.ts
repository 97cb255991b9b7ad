import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createOwnerLookup } from '../../../../lib/adapters/membership/owner-lookup.ts';
import type { MembershipView } from '../../../../lib/adapters/membership/membership-view.ts';
import { rendezvousOwner } from '../../../../lib/adapters/membership/rendezvous.ts';
import { belongsToShard } from '../../../../lib/core/policy/shard.ts';

const view = (over: Partial<MembershipView>): MembershipView => ({
  self: 'a',
  members: ['a', 'b'],
  phase: 'active',
  settledAt: 0n,
  owns: () => false,
  ...over,
});
const directory = {
  instanceIndexes: async () =>
    new Map([
      ['a', 0],
      ['b', 3],
    ]),
};

const test = suite('owner lookup');

test('lease mode: the rendezvous owner, its instance index and the header that reaches it on CF', async () => {
  const apps = Array.from({ length: 20 }, (_, i) => `app-${i}`);
  const ofB = apps.find((app) => rendezvousOwner(app, ['a', 'b']) === 'b')!;
  const lookup = createOwnerLookup({ view: () => view({}), directory, totalInstances: 0, cfAppGuid: 'the-app-guid' });
  assert.equal(await lookup(ofB), {
    memberId: 'b',
    instanceIndex: 3,
    thisInstance: false,
    cfAppInstance: 'the-app-guid:3',
  });
});

test('static mode: the shard index is the member and the instance', async () => {
  const app = Array.from({ length: 20 }, (_, i) => `app-${i}`).find((a) => belongsToShard(a, 2, 3))!;
  const lookup = createOwnerLookup({
    view: () => view({ phase: 'static', self: '0', members: ['0', '1', '2'], owns: () => false }),
    totalInstances: 3,
  });
  assert.equal(await lookup(app), { memberId: '2', instanceIndex: 2, thisInstance: false });
});

test('before any view: nobody is named', async () => {
  assert.equal(await createOwnerLookup({ view: () => undefined, totalInstances: 1 })('x'), { thisInstance: false });
});

test.run();
