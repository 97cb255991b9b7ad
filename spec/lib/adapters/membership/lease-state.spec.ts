import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  afterHeartbeat,
  initialLeaseState,
  phaseAt,
  phaseChangesAfter,
} from '../../../../lib/adapters/membership/lease-state.ts';

const timing = { ttlMs: 1000, holdOffMs: 1000 };
const beat = (sentAt: number, members: string[], doneAt = sentAt + 10) => ({ sentAt, doneAt, members });

const test = suite('leaseState');

test('owns nothing before the first heartbeat', () => {
  assert.is(phaseAt(initialLeaseState, 'a', 0), 'lapsed');
});

test('is active at once when it is the only live member', () => {
  const s = afterHeartbeat(initialLeaseState, beat(0, ['a']), timing);
  assert.is(phaseAt(s, 'a', 10), 'active');
  assert.is(s.validUntil, 1000);
});

test('holds off for holdOffMs after joining others, then becomes active', () => {
  const s = afterHeartbeat(initialLeaseState, beat(0, ['a', 'b']), timing);
  assert.is(phaseAt(s, 'a', 10), 'holding');
  assert.is(phaseAt(s, 'a', 999), 'holding');
  const later = afterHeartbeat(s, beat(300, ['a', 'b']), timing);
  assert.is(later.holdUntil, 1010, 'a continued lease keeps its hold-off end');
  assert.is(phaseAt(later, 'a', 1009), 'holding');
  assert.is(phaseAt(later, 'a', 1010), 'active');
});

test('stops holding off when the others are gone', () => {
  const s = afterHeartbeat(initialLeaseState, beat(0, ['a', 'b']), timing);
  const alone = afterHeartbeat(s, beat(300, ['a']), timing);
  assert.is(phaseAt(alone, 'a', 320), 'active');
});

test('lapses at sent time + ttl without a newer heartbeat', () => {
  const s = afterHeartbeat(initialLeaseState, beat(0, ['a']), timing);
  const s2 = afterHeartbeat(s, beat(300, ['a'], 900), timing);
  assert.is(phaseAt(s2, 'a', 1299), 'active');
  assert.is(phaseAt(s2, 'a', 1300), 'lapsed');
});

test('restarts behind a hold-off when a renewal arrives after the lease ran out', () => {
  const s = afterHeartbeat(initialLeaseState, beat(0, ['a']), timing);
  const late = afterHeartbeat(s, beat(900, ['a', 'b'], 1001), timing);
  assert.is(phaseAt(late, 'a', 1002), 'holding');
  assert.is(late.holdUntil, 2001);
});

test('is lapsed when the member list it read does not contain itself', () => {
  const s = afterHeartbeat(initialLeaseState, beat(0, ['b']), timing);
  assert.is(phaseAt(s, 'a', 5), 'lapsed');
});

test('names the future instants where the phase changes', () => {
  const s = afterHeartbeat(initialLeaseState, beat(0, ['a', 'b'], 100), { ttlMs: 1000, holdOffMs: 500 });
  assert.equal(phaseChangesAfter(s, 200), [600, 1000]);
  assert.equal(phaseChangesAfter(s, 700), [1000]);
  assert.equal(phaseChangesAfter(s, 1000), []);
});

test.run();
