import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { map } from 'rxjs/operators';
import { emitAtTicks } from '../../pipelines/emit-at-ticks.ts';
import type { AggregatedTick } from '../../pipelines/emit-at-ticks.ts';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import { msToNs } from '../../lib/core/time/ns.ts';
import { marbles } from '../support/marbles.ts';

const metric = (appId: string, atMs: number, value: string): AppMetric => ({
  appId,
  name: 'cpu',
  unit: '%',
  value,
  timestamp: msToNs(atMs),
});
const tick = (atMs: number, ...metrics: AppMetric[]): AggregatedTick => ({ atMs, metrics });
const label = (m: AppMetric) => `${m.appId}=${m.value}`;

const test = suite('emitAtTicks');

test(`each tick's metrics come out at their instant, in order, whenever they arrived before it
    aggregated$  (ab) 5ms c 340ms |         a, b: ticks at 100 ms and 200 ms; c: at 300 ms
    output       100ms (xy) 96ms z 99ms w 49ms |`, () =>
  marbles(({ hot, expectObservable, scheduler }) => {
    const aggregated$ = hot('(ab) 5ms c 340ms |', {
      a: tick(100, metric('app', 100, '1'), metric('other', 100, '2')),
      b: tick(200, metric('app', 200, '3')),
      c: tick(300, metric('app', 300, '4')),
    });
    const output$ = emitAtTicks({ aggregated$ }, { scheduler, intervalMs: 100 }).pipe(map(label));
    expectObservable(output$, '^ 400ms !').toBe('100ms (xy) 96ms z 99ms w 49ms |', {
      x: 'app=1',
      y: 'other=2',
      z: 'app=3',
      w: 'app=4',
    });
  }));

test('two ticks of one instant (a log line between them) come out together, in order', () =>
  marbles(({ cold, expectObservable, scheduler }) => {
    const aggregated$ = cold('(ab) 196ms |', {
      a: tick(100, metric('app', 100, '1')),
      b: tick(100, metric('other', 100, '2')),
    });
    expectObservable(emitAtTicks({ aggregated$ }, { scheduler, intervalMs: 100 }).pipe(map(label))).toBe(
      '100ms (xy) 96ms |',
      { x: 'app=1', y: 'other=2' },
    );
  }));

test('a tick the clock has passed is an error, not dropped', () =>
  marbles(({ cold, expectObservable, scheduler }) => {
    const aggregated$ = cold('150ms a 200ms |', { a: tick(100, metric('app', 100, '1')) });
    expectObservable(emitAtTicks({ aggregated$ }, { scheduler, intervalMs: 100 })).toBe(
      '200ms #',
      undefined,
      new Error('metrics aggregated at 100 ms reached the clock only at 200 ms'),
    );
  }));

test('a tick still waiting when the source completes is an error', () =>
  marbles(({ cold, expectObservable, scheduler }) => {
    const aggregated$ = cold('a 50ms |', { a: tick(500, metric('app', 500, '1')) });
    expectObservable(emitAtTicks({ aggregated$ }, { scheduler, intervalMs: 100 })).toBe(
      '51ms #',
      undefined,
      new Error('metrics aggregated at 500 ms were never reached by the clock'),
    );
  }));

test('a non-positive interval is refused', () => {
  assert.throws(
    () => emitAtTicks({ aggregated$: [] as never }, { scheduler: { now: () => 0 } as never, intervalMs: 0 }),
    /intervalMs must be > 0/,
  );
});

test.run();
