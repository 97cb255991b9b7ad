import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { asyncScheduler, Subject } from 'rxjs';
import { inSlices } from '../../pipelines/in-slices.ts';
import { createSliceBudget } from '../../pipelines/slice-budget.ts';
import type { SliceOptions } from '../../pipelines/slice-budget.ts';

const test = suite('createSliceBudget');

/**
 * A clock that only work moves, and slices that run when the test says so: `turn()` runs the one
 * macrotask that was asked for, as the event loop would, after the microtasks of the run before.
 */
const virtualLoop = () => {
  let now = 0;
  const asked: (() => void)[] = [];
  const options: SliceOptions = {
    scheduler: asyncScheduler,
    budgetMs: 10,
    clock: () => now,
    later: (work) => {
      asked.push(work);
      return () => {
        const at = asked.indexOf(work);
        if (at >= 0) asked.splice(at, 1);
      };
    },
  };
  return {
    options,
    asked,
    work: (ms: number) => {
      now += ms;
    },
    turn: async () => {
      await Promise.resolve();
      assert.is(asked.length, 1, 'one macrotask per slice');
      asked.shift()!();
    },
  };
};

/** Two stages in slices of one budget, the evaluation downstream of the intake, each value costing `costMs` in both. */
const twoStages = (loop: ReturnType<typeof virtualLoop>, costMs: number) => {
  const source = new Subject<number>();
  const seen: string[] = [];
  const budget = createSliceBudget(loop.options);
  const taken = new Subject<number>();
  source.pipe(inSlices<number>(budget)).subscribe((v) => {
    loop.work(costMs);
    seen.push(`in ${v}`);
    taken.next(v);
  });
  taken.pipe(inSlices<number>(budget)).subscribe((v) => {
    loop.work(costMs);
    seen.push(`eval ${v}`);
  });
  return { source, seen };
};

test('two stages with one budget hold each slice for the budget, not for a budget each', async () => {
  const loop = virtualLoop();
  const { source, seen } = twoStages(loop, 3);
  for (let v = 1; v <= 7; v += 1) source.next(v);
  // 3 ms per stage: 1 in and evaluated (6 ms), 2 in and evaluated (12 ms): the budget is spent.
  assert.equal(seen, ['in 1', 'eval 1', 'in 2', 'eval 2']);
  await loop.turn();
  assert.equal(seen.slice(4), ['in 3', 'eval 3', 'in 4', 'eval 4']);
  await loop.turn();
  assert.equal(seen.slice(8), ['in 5', 'eval 5', 'in 6', 'eval 6']);
  await loop.turn();
  assert.equal(seen.slice(12), ['in 7', 'eval 7']);
  assert.is(loop.asked.length, 0, 'nothing left, no slice asked for');
});

test('what the evaluation could not take waits ahead of the intake in the next slice', async () => {
  const loop = virtualLoop();
  const source = new Subject<number>();
  const seen: string[] = [];
  const budget = createSliceBudget(loop.options);
  const taken = new Subject<number>();
  source.pipe(inSlices<number>(budget)).subscribe((v) => {
    loop.work(1);
    seen.push(`in ${v}`);
    taken.next(v);
  });
  // Taking in costs 1 ms, evaluating 4.
  taken.pipe(inSlices<number>(budget)).subscribe((v) => {
    loop.work(4);
    seen.push(`eval ${v}`);
  });
  for (let v = 1; v <= 5; v += 1) source.next(v);
  // 3 is taken in at 10 ms, with the budget just spent: it waits for the evaluation; 4 and 5 wait outside.
  assert.equal(seen, ['in 1', 'eval 1', 'in 2', 'eval 2', 'in 3']);
  await loop.turn();
  assert.equal(seen.slice(5), ['eval 3', 'in 4', 'eval 4', 'in 5', 'eval 5']);
  assert.is(loop.asked.length, 0);
});

test('waiting work runs in the order it asked; past the budget the rest waits for the next slice', async () => {
  const loop = virtualLoop();
  const budget = createSliceBudget(loop.options);
  const ran: string[] = [];
  const step = (name: string, ms: number) => () => {
    loop.work(ms);
    ran.push(name);
  };
  budget.later(step('a', 4));
  budget.later(step('b', 8));
  budget.later(step('c', 1));
  assert.equal(ran, [], 'nothing runs before its slice');
  await loop.turn();
  assert.equal(ran, ['a', 'b'], 'b spent the budget: c waits');
  await loop.turn();
  assert.equal(ran, ['a', 'b', 'c']);
  assert.is(loop.asked.length, 0);
});

test('a slice runs at least one piece of work, however long it takes', async () => {
  const loop = virtualLoop();
  const budget = createSliceBudget(loop.options);
  const ran: string[] = [];
  budget.later(() => {
    loop.work(50);
    ran.push('long');
  });
  budget.later(() => ran.push('next'));
  await loop.turn();
  assert.equal(ran, ['long']);
  await loop.turn();
  assert.equal(ran, ['long', 'next']);
});

test('a synchronous run opens a slice on the first ask, and a microtask closes it', async () => {
  const loop = virtualLoop();
  const budget = createSliceBudget(loop.options);
  assert.not.ok(budget.spent());
  loop.work(11);
  assert.ok(budget.spent(), 'the run went past the budget');
  await Promise.resolve();
  assert.not.ok(budget.spent(), 'the next run has a budget of its own');
});

test('a continuation counts the time since the last slice handed over against its budget, up to three quarters', async () => {
  const loop = virtualLoop();
  const source = new Subject<number>();
  const seen: number[] = [];
  source.pipe(inSlices<number>(createSliceBudget(loop.options))).subscribe((v) => {
    loop.work(1);
    seen.push(v);
  });
  for (let v = 1; v <= 40; v += 1) source.next(v);
  assert.is(seen.length, 11, 'the first slice: 11 ms of work');
  // The rest of the synchronous run, or I/O callbacks, hold the loop for 6 ms before the slice.
  loop.work(6);
  await loop.turn();
  assert.is(seen.length, 11 + 5, 'what is left of the budget: 4 ms, and the value that goes past it');
  loop.work(50);
  await loop.turn();
  assert.is(seen.length, 16 + 3, 'never less than a quarter of it: 2.5 ms, and the value past it');
  await loop.turn();
  assert.is(seen.length, 19 + 11, 'a slice right after the last one has the whole budget');
});

test('work that throws does not strand the work waiting behind it', async () => {
  const loop = virtualLoop();
  const budget = createSliceBudget(loop.options);
  const ran: string[] = [];
  budget.later(() => {
    loop.work(20);
    throw new Error('boom');
  });
  budget.later(() => ran.push('next'));
  await loop.turn().then(
    () => assert.unreachable('the error reaches the macrotask'),
    (err: Error) => assert.is(err.message, 'boom'),
  );
  await loop.turn();
  assert.equal(ran, ['next']);
});

test('cancelled work does not run; with nothing left waiting, no slice is asked for', async () => {
  const loop = virtualLoop();
  const budget = createSliceBudget(loop.options);
  const ran: string[] = [];
  const cancelA = budget.later(() => ran.push('a'));
  const cancelB = budget.later(() => ran.push('b'));
  cancelA();
  await loop.turn();
  assert.equal(ran, ['b']);
  budget.later(() => ran.push('c'));
  cancelB();
  budget.later(() => ran.push('d'))();
  assert.is(loop.asked.length, 1, 'c still waits');
  await loop.turn();
  assert.equal(ran, ['b', 'c']);
  budget.later(() => ran.push('e'))();
  assert.is(loop.asked.length, 0);
});

test.run();
