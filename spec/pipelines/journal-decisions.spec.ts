import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NEVER, Subject, defer, of, throwError } from 'rxjs';
import type { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { journalDecisions } from '../../pipelines/journal-decisions.ts';
import type { JournalDecisionsDeps, JournalWriteEvent } from '../../pipelines/journal-decisions.ts';
import type { JournalEntry, PruneResult } from '../../lib/core/model/decision-journal.ts';

const entry = (reason: string): JournalEntry => ({
  appId: 'app',
  at: 1n,
  event: 'breach-started',
  values: [],
  reason,
  detail: {},
});
const e = { a: entry('a'), b: entry('b'), c: entry('c'), d: entry('d'), f: entry('f') };

interface Db {
  down: boolean;
  written: string[][];
  attempts: number;
}

/** A journal table that fails while `down`, answering one frame after each append. */
const fakeDb = (db: Db, scheduler: TestScheduler) => ({
  append: (batch: readonly JournalEntry[]): Observable<number> =>
    defer(() => {
      db.attempts += 1;
      if (db.down) return scheduler.createColdObservable<number>('-#', undefined, new Error('connection refused'));
      db.written.push(batch.map((x) => x.reason));
      return scheduler.createColdObservable('-(n|)', { n: batch.length });
    }),
});

const base = {
  flushIntervalMs: 5,
  maxBatchSize: 3,
  maxPending: 6,
  pruneIntervalMs: 1000,
  retry: { initialMs: 4, maxMs: 8 },
  prune: (): Observable<PruneResult> => of({ expired: 0, overCap: 0 }),
};

/** Runs the pipeline in virtual time; returns [frame, event] pairs and the table. */
const run = (
  marble: string,
  options: { down?: (frame: number) => boolean; deps?: Partial<JournalDecisionsDeps> } = {},
) => {
  const scheduler = new TestScheduler(assert.equal);
  const db: Db = { down: false, written: [], attempts: 0 };
  const events: [number, JournalWriteEvent | 'complete'][] = [];
  scheduler.run(({ hot }) => {
    const entry$ = hot<JournalEntry>(marble, e);
    if (options.down) {
      // Flip the database's health on every frame as the test asks.
      const frames = 200;
      for (let f = 0; f <= frames; f++) scheduler.schedule(() => (db.down = options.down!(f)), f);
    }
    journalDecisions({ entry$ }, { ...base, ...fakeDb(db, scheduler), scheduler, ...options.deps }).subscribe({
      next: (event) => events.push([scheduler.now(), event]),
      complete: () => events.push([scheduler.now(), 'complete']),
    });
  });
  return { events, db };
};

const test = suite('journalDecisions');

test('writes what arrived on each flush tick, in order', () => {
  const { events, db } = run('-a-b-------c------|');
  assert.equal(db.written, [['a', 'b'], ['c']]);
  assert.equal(
    events.map(([, ev]) => (ev === 'complete' ? ev : ev.kind)),
    ['written', 'written', 'complete'],
  );
});

test('survives a database outage: keeps the entries, retries with back-off, then writes them all', () => {
  // The database is down from the start until frame 20.
  const { events, db } = run('-a-b-----c-------------------|', { down: (f) => f < 20 });
  const retries = events.filter(([, ev]) => ev !== 'complete' && ev.kind === 'retrying');
  assert.ok(retries.length >= 2, JSON.stringify(retries));
  assert.equal(db.written.flat(), ['a', 'b', 'c']);
  assert.not.ok(events.some(([, ev]) => ev !== 'complete' && ev.kind === 'dropped'));
});

test('is bounded while the database is away: the oldest entries go and are counted', () => {
  const { events, db } = run('-abcdfabcdf---------------------|', {
    down: (f) => f < 25,
    deps: { maxPending: 4, maxBatchSize: 2 },
  });
  const dropped = events
    .filter(
      (x): x is [number, Extract<JournalWriteEvent, { kind: 'dropped' }>] =>
        x[1] !== 'complete' && x[1].kind === 'dropped',
    )
    .reduce((n, [, ev]) => n + ev.count, 0);
  const written = db.written.flat();
  assert.is(written.length + dropped, 10, `written ${written.join('')}, dropped ${dropped}`);
  assert.ok(written.length <= 4 + 2, written.join(''));
  assert.equal(written.slice(-3), ['c', 'd', 'f'], 'the newest entries are kept');
});

test('never holds up the stream that feeds it, even when an append never answers', () => {
  const scheduler = new TestScheduler(assert.equal);
  const entry$ = new Subject<JournalEntry>();
  let appends = 0;
  const events: JournalWriteEvent[] = [];
  const sub = journalDecisions(
    { entry$ },
    {
      ...base,
      maxBatchSize: 10,
      maxPending: 100,
      scheduler,
      append: () => {
        appends += 1;
        return NEVER;
      },
    },
  ).subscribe((ev) => events.push(ev));
  for (let i = 0; i < 1000; i++) entry$.next(entry(String(i)));
  sub.unsubscribe();
  assert.is(appends, 1, 'one append at a time');
  const dropped = events.reduce((n, ev) => n + (ev.kind === 'dropped' ? ev.count : 0), 0);
  assert.is(dropped, 900, 'all but the 100 held are dropped and counted');
});

test('gives up after the final attempts when the source ends with the database down', () => {
  const { events } = run('-a-b|', { down: () => true, deps: { finalAttempts: 2 } });
  const last = events.at(-2)![1] as JournalWriteEvent;
  assert.equal(last, { kind: 'dropped', count: 2, reason: 'shutdown' });
  assert.is(events.at(-1)![1], 'complete');
});

test('prunes every interval and reports what was pruned; a failed prune is reported and retried', () => {
  let prunes = 0;
  const { events } = run(`-a${'-'.repeat(30)}|`, {
    deps: {
      pruneIntervalMs: 10,
      prune: () => {
        prunes += 1;
        return prunes === 2 ? throwError(() => new Error('lock timeout')) : of({ expired: 3, overCap: 1 });
      },
    },
  });
  const kinds = events.map(([, ev]) => (ev === 'complete' ? ev : ev.kind === 'dropped' ? ev.reason : ev.kind));
  assert.equal(kinds, ['written', 'retention', 'row-cap', 'prune-failed', 'retention', 'row-cap', 'complete']);
});

test('a source error is passed on once what it held is written', () => {
  const scheduler = new TestScheduler(assert.equal);
  scheduler.run(({ cold, expectObservable }) => {
    const entry$ = cold<JournalEntry>('-a-b-#', e, new Error('upstream broke'));
    const db: Db = { down: false, written: [], attempts: 0 };
    expectObservable(journalDecisions({ entry$ }, { ...base, ...fakeDb(db, scheduler), scheduler })).toBe(
      '------(w#)',
      { w: { kind: 'written', count: 2 } },
      new Error('upstream broke'),
    );
  });
});

test('refuses a batch larger than what it may hold', () => {
  assert.throws(
    () =>
      journalDecisions(
        { entry$: NEVER },
        { ...base, maxBatchSize: 10, maxPending: 5, scheduler: new TestScheduler(assert.equal), append: () => NEVER },
      ),
    /maxBatchSize \(10\) must be a positive integer no larger than maxPending \(5\)/,
  );
});

test.run();
