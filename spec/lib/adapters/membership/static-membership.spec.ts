import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { createStaticMembership } from '../../../../lib/adapters/membership/static-membership.ts';

const test = suite('createStaticMembership');

test('owns the apps of its CF_INSTANCE_INDEX shard (FNV-1a test vectors)', async () => {
  const view = await firstValueFrom(createStaticMembership(0, 3).view$);
  assert.is(view.phase, 'static');
  assert.equal(view.members, ['0', '1', '2']);
  assert.is(view.self, '0');
  // app-id-3 and app-id-4 hash to 0 mod 3; app-id-1 to 2; app-id-5 to 1
  assert.equal(
    ['app-id-1', 'app-id-3', 'app-id-4', 'app-id-5'].map((id) => view.owns(id)),
    [false, true, true, false],
  );
});

test('owns every app with one instance', async () => {
  const view = await firstValueFrom(createStaticMembership(0, 1).view$);
  assert.ok(['a', 'foobar', 'app-id-7'].every((id) => view.owns(id)));
});

test('ends with a view that owns nothing after stop()', async () => {
  const membership = createStaticMembership(1, 2);
  const all = lastValueFrom(membership.view$.pipe(toArray()));
  await membership.stop();
  await membership.stop();
  const views = await all;
  assert.equal(
    views.map((v) => v.phase),
    ['static', 'stopped'],
  );
  assert.is(views[1]?.owns('app-id-2'), false);
});

test.run();
