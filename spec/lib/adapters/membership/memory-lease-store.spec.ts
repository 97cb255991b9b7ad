import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { VirtualTimeScheduler } from 'rxjs';
import { createMemoryLeaseStore } from '../../../../lib/adapters/membership/memory-lease-store.ts';

/** A clock the test moves by hand. */
const clock = () => {
  const scheduler = new VirtualTimeScheduler();
  return {
    scheduler,
    advance: (ms: number) => {
      scheduler.maxFrames = scheduler.frame + ms;
      scheduler.schedule(() => {}, ms);
      scheduler.flush();
    },
  };
};

const test = suite('createMemoryLeaseStore');

test('keeps a lease for its ttl on the scheduler clock, and forgets one that leaves', async () => {
  const { scheduler, advance } = clock();
  const store = createMemoryLeaseStore(scheduler);
  await store.renew('b', 100);
  await store.renew('a', 300);
  await store.renew('c', 300);
  assert.equal(await store.liveMembers(), ['a', 'b', 'c']);
  advance(100);
  assert.equal(await store.liveMembers(), ['a', 'c']);
  await store.leave('c');
  assert.equal(await store.liveMembers(), ['a']);
});

test('prunes leases expired for longer than the grace period and rejects a bad ttl', async () => {
  const { scheduler, advance } = clock();
  const store = createMemoryLeaseStore(scheduler);
  await store.renew('old', 10);
  await store.renew('new', 1000);
  advance(100);
  assert.is(await store.pruneExpired(200), 0);
  assert.is(await store.pruneExpired(50), 1);
  await store.renew('old', 10);
  assert.equal(await store.liveMembers(), ['new', 'old']);
  try {
    await store.renew('x', 0);
    assert.unreachable('accepted ttl 0');
  } catch (err) {
    assert.match((err as Error).message, /lease ttl must be a positive whole number/);
  }
});

test.run();
