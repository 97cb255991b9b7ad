import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { belongsToShard } from '../../../../lib/core/policy/shard.ts';

const shard = suite('belongsToShard');

// docs/anchor-compatibility.md#sharding: [app_id, mod 2, mod 3, mod 4 | undefined]
const vectors: [string, number, number, number | undefined][] = [
  ['', 1, 1, 1],
  ['a', 0, 1, 0],
  ['foobar', 0, 1, 0],
  ['app-id-1', 0, 2, undefined],
  ['app-id-2', 1, 2, undefined],
  ['app-id-3', 0, 0, undefined],
  ['app-id-4', 1, 0, undefined],
  ['app-id-5', 0, 1, undefined],
  ['app-id-6', 1, 1, undefined],
  ['app-id-7', 0, 2, undefined],
  ['app-id-8', 1, 0, undefined],
  ['testAppId', 1, 2, undefined],
  ['an-app-id', 0, 1, undefined],
  ['6f9c1c2e-6a7b-4a57-9d55-1d0f3b8f2e11', 1, 2, 1],
];

for (const [appId, m2, m3, m4] of vectors) {
  shard(
    `places ${JSON.stringify(appId)} on instance ${m2} of 2, ${m3} of 3${m4 === undefined ? '' : `, ${m4} of 4`}`,
    () => {
      for (const [total, owner] of [
        [2, m2],
        [3, m3],
        [4, m4],
      ] as const) {
        if (owner === undefined) continue;
        for (let index = 0; index < total; index++) {
          assert.is(belongsToShard(appId, index, total), index === owner, `${appId}: index ${index} of ${total}`);
        }
      }
    },
  );
}

shard('gives every app to the only instance when total is 1', () => {
  for (const [appId] of vectors) assert.ok(belongsToShard(appId, 0, 1));
});

shard('owns nothing with an invalid total rather than everything', () => {
  assert.not.ok(belongsToShard('a', 0, 0));
  assert.not.ok(belongsToShard('a', 0, -1));
});

shard("three instances split app-id-1..8 as the anchor's tests do", () => {
  const apps = (ns: number[]) => ns.map((n) => `app-id-${n}`);
  const polls = [apps([1, 2, 3, 4]), apps([3, 4, 5, 6]), apps([5, 6, 7, 8])];
  const owned = (index: number) => polls.map((ids) => ids.filter((id) => belongsToShard(id, index, 3)));
  assert.equal(owned(0), [apps([3, 4]), apps([3, 4]), apps([8])]);
  assert.equal(owned(1), [[], apps([5, 6]), apps([5, 6])]);
  assert.equal(owned(2), [apps([1, 2]), [], apps([7])]);
});

shard.run();
