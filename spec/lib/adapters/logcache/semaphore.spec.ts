import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createSemaphore } from '../../../../lib/adapters/logcache/semaphore.ts';

const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { opened, open };
};

// ---
const semaphore = suite('createSemaphore');

semaphore('runs at most `limit` tasks at once and serves waiters in order', async () => {
  const s = createSemaphore(2);
  const gates = [gate(), gate(), gate()];
  const started: number[] = [];
  const runs = gates.map((g, i) =>
    s.run(async () => {
      started.push(i);
      await g.opened;
      return i;
    }),
  );
  await Promise.resolve();
  assert.equal(started, [0, 1]);
  assert.is(s.active(), 2);
  assert.is(s.waiting(), 1);
  gates[1]?.open();
  await runs[1];
  await Promise.resolve();
  assert.equal(started, [0, 1, 2]);
  gates[0]?.open();
  gates[2]?.open();
  assert.equal(await Promise.all(runs), [0, 1, 2]);
  assert.is(s.active(), 0);
});

semaphore('frees the slot when a task fails', async () => {
  const s = createSemaphore(1);
  await s
    .run(async () => {
      throw new Error('x');
    })
    .catch(() => undefined);
  assert.is(await s.run(async () => 'next'), 'next');
});

semaphore('drops an aborted waiter without taking a slot', async () => {
  const s = createSemaphore(1);
  const hold = gate();
  const first = s.run(() => hold.opened);
  const controller = new AbortController();
  const waiting = s.run(async () => 'never', controller.signal).catch((e: Error) => e.message);
  controller.abort(new Error('gone'));
  assert.is(await waiting, 'gone');
  assert.is(s.waiting(), 0);
  hold.open();
  await first;
  assert.is(s.active(), 0);
});

semaphore('refuses a limit below one', () => {
  assert.throws(() => createSemaphore(0), /positive integer, got 0/);
});

semaphore.run();
