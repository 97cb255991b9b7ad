import { Subscription } from 'rxjs';
import type { SchedulerAction, SchedulerLike } from 'rxjs';

/**
 * A virtual-time SchedulerLike for long replays. rxjs's VirtualTimeScheduler creates a new action on
 * every reschedule and chains it to the previous one, so a 5 s interval over a virtual day builds a
 * chain of 17 280 actions whose unsubscription overflows the stack. Here an action is reused when it
 * reschedules, and pending actions sit in a binary heap ordered by (due time, scheduling order).
 */
export interface VirtualScheduler extends SchedulerLike {
  /** When the earliest pending action is due (ms), if any. */
  nextDue(): number | undefined;
  /** Runs every action due at the earliest instant, including those scheduled meanwhile for it. */
  runNextInstant(): void;
  /** Moves the clock forward to `ms` without running anything (never backwards). */
  advanceTo(ms: number): void;
}

interface Entry {
  readonly due: number;
  readonly seq: number;
  readonly run: () => void;
  dead: boolean;
}

const before = (a: Entry, b: Entry): boolean => a.due < b.due || (a.due === b.due && a.seq < b.seq);

const createHeap = () => {
  const items: Entry[] = [];
  const swap = (i: number, j: number) => {
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  };
  return {
    push(entry: Entry) {
      items.push(entry);
      for (let i = items.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!before(items[i]!, items[parent]!)) break;
        swap(i, parent);
        i = parent;
      }
    },
    /** The earliest live entry, dropping cancelled ones on the way. */
    peek(): Entry | undefined {
      while (items.length > 0 && items[0]!.dead) this.pop();
      return items[0];
    },
    pop(): Entry | undefined {
      const top = items[0];
      const last = items.pop();
      if (items.length > 0 && last) {
        items[0] = last;
        for (let i = 0; ; ) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < items.length && before(items[l]!, items[m]!)) m = l;
          if (r < items.length && before(items[r]!, items[m]!)) m = r;
          if (m === i) break;
          swap(i, m);
          i = m;
        }
      }
      return top;
    },
  };
};

export const createVirtualScheduler = (startMs: number): VirtualScheduler => {
  const heap = createHeap();
  let clock = startMs;
  let seq = 0;

  const schedule = <T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription => {
    let entry: Entry | undefined;
    const action = Object.assign(
      new Subscription(() => {
        if (entry) entry.dead = true;
        entry = undefined;
      }),
      {
        schedule(next?: T, wait = 0): Subscription {
          if (action.closed) return action;
          if (entry) entry.dead = true;
          entry = undefined;
          if (!Number.isFinite(wait)) return action;
          const mine: Entry = {
            due: clock + Math.max(0, wait),
            seq: seq++,
            dead: false,
            run: () => {
              entry = undefined;
              try {
                work.call(action, next);
              } catch (err) {
                action.unsubscribe();
                throw err;
              }
            },
          };
          entry = mine;
          heap.push(mine);
          return action;
        },
      },
    ) as SchedulerAction<T>;
    return action.schedule(state, delay);
  };

  return {
    now: () => clock,
    schedule: schedule as SchedulerLike['schedule'],
    nextDue: () => heap.peek()?.due,
    runNextInstant() {
      const first = heap.peek();
      if (!first) return;
      const instant = first.due;
      clock = Math.max(clock, instant);
      for (let next = heap.peek(); next && next.due <= instant; next = heap.peek()) {
        heap.pop();
        next.run();
      }
    },
    advanceTo(ms) {
      if (ms > clock) clock = ms;
    },
  };
};
