import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { fnv1a64, rendezvousOwner } from '../../../../lib/adapters/membership/rendezvous.ts';

const appIds = Array.from({ length: 10_000 }, (_, i) => `6f9c1c2e-6a7b-4a57-9d55-${i.toString(16).padStart(12, '0')}`);
const ownersOf = (members: readonly string[]) => new Map(appIds.map((id) => [id, rendezvousOwner(id, members)]));

const hash = suite('fnv1a64');

hash('matches the published FNV-1a 64 test vectors', () => {
  assert.is(fnv1a64(''), 0xcbf29ce484222325n);
  assert.is(fnv1a64('a'), 0xaf63dc4c8601ec8cn);
  assert.is(fnv1a64('foobar'), 0x85944171f73967e8n);
});

hash.run();

// ---

const owner = suite('rendezvousOwner');

owner('has no owner without members and the only member owns everything', () => {
  assert.is(rendezvousOwner('app', []), undefined);
  assert.is(rendezvousOwner('app', ['m1']), 'm1');
});

owner('is deterministic and ignores the order of the member list', () => {
  for (const id of appIds.slice(0, 200)) {
    assert.is(rendezvousOwner(id, ['a', 'b', 'c']), rendezvousOwner(id, ['c', 'a', 'b']));
  }
});

owner('spreads 10,000 apps over 3 members within 10% of a third each', () => {
  const counts = new Map<string, number>();
  for (const m of ownersOf(['eg-0', 'eg-1', 'eg-2']).values()) counts.set(m!, (counts.get(m!) ?? 0) + 1);
  assert.equal([...counts.keys()].sort(), ['eg-0', 'eg-1', 'eg-2']);
  for (const [member, n] of counts) {
    assert.ok(Math.abs(n - 10_000 / 3) <= (10_000 / 3) * 0.1, `${member} owns ${n}`);
  }
});

owner("moves only the leaving member's apps, spread over the survivors", () => {
  const before = ownersOf(['eg-0', 'eg-1', 'eg-2']);
  const after = ownersOf(['eg-0', 'eg-2']);
  const gained = new Map<string, number>();
  for (const id of appIds) {
    if (before.get(id) !== 'eg-1') assert.is(after.get(id), before.get(id), id);
    else gained.set(after.get(id)!, (gained.get(after.get(id)!) ?? 0) + 1);
  }
  assert.ok((gained.get('eg-0') ?? 0) > 1000 && (gained.get('eg-2') ?? 0) > 1000, JSON.stringify([...gained]));
});

owner('moves about 1/n of the apps on a join, all of them to the newcomer', () => {
  const before = ownersOf(['eg-0', 'eg-1', 'eg-2']);
  const after = ownersOf(['eg-0', 'eg-1', 'eg-2', 'eg-3']);
  const moved = appIds.filter((id) => after.get(id) !== before.get(id));
  for (const id of moved) assert.is(after.get(id), 'eg-3');
  assert.ok(Math.abs(moved.length - 2500) <= 250, `${moved.length} moved`);
});

owner("changes an app's owner only when the owner leaves or the new owner joins (any member sets)", () => {
  const member = fc.constantFrom<string>('a', 'b', 'c', 'd', 'e', 'f', 'g');
  fc.assert(
    fc.property(
      fc.uniqueArray(member, { minLength: 1 }),
      fc.uniqueArray(member, { minLength: 1 }),
      fc.string(),
      (from, to, id) => {
        const a = rendezvousOwner(id, from)!;
        const b = rendezvousOwner(id, to)!;
        return a === b || !to.includes(a) || !from.includes(b);
      },
    ),
  );
});

owner.run();
