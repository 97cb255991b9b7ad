import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { concat, from, NEVER, type Observable, of, Subject, throwError, timer } from 'rxjs';
import { finalize, map, mergeMap, mergeWith, take } from 'rxjs/operators';
import type { OperatorFunction } from 'rxjs';
import { mergeMapEager } from '../../pipelines/merge-map-eager.ts';
import { marbles } from '../support/marbles.ts';

/** What one source value is projected to. */
type Inner =
  | { readonly kind: 'array'; readonly size: number }
  | {
      readonly kind: 'observable';
      readonly delays: readonly number[];
      readonly end: 'complete' | 'error' | 'never';
    }
  | { readonly kind: 'throw' };

interface Scenario {
  /** Frames between source values (0: same frame, one synchronous run). */
  readonly gaps: readonly number[];
  readonly inners: readonly Inner[];
  readonly concurrent: number;
  /** Output values (by index) that feed a new value back into the source as they are handed on. */
  readonly feedback: readonly number[];
  readonly sourceEnd: 'complete' | 'error' | 'never';
  readonly unsubscribeAt: number | undefined;
}

const inner: fc.Arbitrary<Inner> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 3 }).map((size) => ({ kind: 'array' as const, size })) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('observable' as const),
      delays: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
      end: fc.constantFrom<'complete' | 'error' | 'never'>('complete', 'complete', 'complete', 'error', 'never'),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'throw' as const }) },
);

const scenario: fc.Arbitrary<Scenario> = fc.record({
  gaps: fc.array(fc.constantFrom(0, 0, 1, 2, 5), { minLength: 1, maxLength: 10 }),
  inners: fc.array(inner, { minLength: 16, maxLength: 16 }),
  concurrent: fc.constantFrom(1, 2, 3, Number.POSITIVE_INFINITY),
  feedback: fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 2 }),
  sourceEnd: fc.constantFrom<'complete' | 'error' | 'never'>('complete', 'complete', 'error', 'never'),
  unsubscribeAt: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
});

/**
 * Runs a scenario through `operator` (mergeMap or mergeMapEager, given the projection) and logs,
 * with the virtual frame, every projection, value, inner teardown, completion and error.
 */
const run = (
  s: Scenario,
  operator: (project: (v: number) => readonly string[] | Observable<string>) => OperatorFunction<number, string>,
): string[] => {
  const log: string[] = [];
  marbles(({ scheduler, flush }) => {
    const at = () => scheduler.now();
    const feedback$ = new Subject<number>();
    let fed = 100;
    const source$ = concat(
      from(s.gaps).pipe(
        mergeMap((_gap, i) => timer(s.gaps.slice(0, i + 1).reduce((a, b) => a + b, 0)).pipe(map(() => i))),
      ),
      s.sourceEnd === 'error' ? throwError(() => new Error('source failed')) : s.sourceEnd === 'never' ? NEVER : of(),
    ).pipe(mergeWith(feedback$));
    const project = (v: number): readonly string[] | Observable<string> => {
      log.push(`${at()} project ${v}`);
      const shape = s.inners[v % s.inners.length]!;
      if (shape.kind === 'throw') throw new Error(`project ${v} failed`);
      if (shape.kind === 'array') return Array.from({ length: shape.size }, (_x, k) => `${v}.${k}`);
      const values = shape.delays.map((d, k) => timer(d).pipe(map(() => `${v}.${k}`)));
      const end =
        shape.end === 'error'
          ? throwError(() => new Error(`inner ${v} failed`))
          : shape.end === 'never'
            ? NEVER
            : of<string>();
      return concat(...values, end).pipe(finalize(() => log.push(`${at()} teardown ${v}`)));
    };
    let outputs = 0;
    const subscription = source$.pipe(operator(project)).subscribe({
      next: (value) => {
        log.push(`${at()} next ${value}`);
        if (s.feedback.includes(outputs++)) feedback$.next(fed++);
      },
      error: (err: Error) => log.push(`${at()} error ${err.message}`),
      complete: () => log.push(`${at()} complete`),
    });
    if (s.unsubscribeAt !== undefined)
      timer(s.unsubscribeAt)
        .pipe(take(1))
        .subscribe(() => {
          log.push(`${at()} unsubscribe`);
          subscription.unsubscribe();
        });
    flush();
  });
  return log;
};

const withMergeMap =
  (concurrent: number) =>
  (project: (v: number) => readonly string[] | Observable<string>): OperatorFunction<number, string> =>
    mergeMap((v: number) => {
      const inner = project(v);
      return Array.isArray(inner) ? from(inner as readonly string[]) : (inner as Observable<string>);
    }, concurrent);
const withEager =
  (concurrent: number) =>
  (project: (v: number) => readonly string[] | Observable<string>): OperatorFunction<number, string> =>
    mergeMapEager(project, concurrent);

const test = suite('mergeMapEager');

test('hands on, orders, frees slots, tears down and ends exactly as mergeMap over from(array)', () => {
  fc.assert(
    fc.property(scenario, (s) => {
      assert.equal(run(s, withEager(s.concurrent)), run(s, withMergeMap(s.concurrent)));
    }),
    { numRuns: 3000 },
  );
});

test('an array takes no subscription; a slot held by an Observable makes the next value wait', () =>
  marbles(({ cold, hot, expectObservable, expectSubscriptions }) => {
    const b$ = cold('--3|');
    const out$ = hot('a-b-c----|').pipe(
      mergeMapEager((v: string) => (v === 'b' ? b$ : v === 'a' ? ['1', '2'] : ['4']), 1),
    );
    expectObservable(out$).toBe('(12)34---|');
    expectSubscriptions(b$.subscriptions).toBe('--^--!');
  }));

test('a long run of arrays waiting behind an Observable does not nest a call per value', () => {
  const gate = new Subject<string>();
  const seen: string[] = [];
  const source = new Subject<number>();
  source.pipe(mergeMapEager((v: number) => (v === 0 ? gate.pipe(take(1)) : [String(v)]), 1)).subscribe((v) => {
    seen.push(v);
  });
  for (let v = 0; v <= 100_000; v += 1) source.next(v);
  gate.next('0');
  assert.is(seen.length, 100_001);
  assert.is(seen.at(-1), '100000');
});

test.run();
