import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { filter, map } from 'rxjs/operators';
import { metricPath } from '../../../pipelines/graph/metric-path.ts';
import type { MetricPathDeps } from '../../../pipelines/graph/metric-path.ts';
import { createMetricCache } from '../../../lib/core/evaluation/metric-cache.ts';
import type { Trigger } from '../../../lib/core/model/policy.ts';
import type { SaveMetrics, Scale } from '../../../lib/core/model/ports.ts';
import { marbles } from '../../support/marbles.ts';
import { okReply, policies, short } from '../evaluation-fixtures.ts';
import { breaker, cacheReader, cpu, cpuAbove50, cpuMetric, NOT_ENOUGH, persisted } from './graph-fixtures.ts';

/** Virtual milliseconds: one aggregation a second over the last second, a save every 2.5 s. */
const settings = {
  statWindowSecs: 1,
  aggregatorIntervalMs: 1000,
  localHttpMetrics: false,
  saveIntervalMs: 2500,
  saveBatchSize: 100,
  maxPendingMetrics: 1000,
  defaultBreachDurationSecs: 1,
  breaker,
};

const test = suite('metricPath');

test(`envelopes in, one app metric a second out to persistence and evaluation; a breach calls scale once
    envelope$   500ms a 999ms b 999ms c 999ms d            cpu 90 % every second
    appMetric$  1s A 999ms B 999ms C 999ms D
    persist$    2500ms s                                   s: A and B saved by the first flush
    decision$   1s n 999ms n 999ms (bc) 96ms r 899ms (bh)  n: not enough history, b: breach, c: call,
                                                           r: reply (starts the cooldown), h: D held by it`, () => {
  const saved: string[][] = [];
  const sent: Trigger[] = [];
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const cache = createMetricCache({ capacityPerApp: 10 });
    cache.sync(['app']);
    const save: SaveMetrics = (batch) => {
      saved.push(batch.map((m) => m.value));
      return cold('(r|)', { r: { saved: batch.length, rejected: [] } });
    };
    const scale: Scale = (trigger) => {
      sent.push(trigger);
      return cold('100ms (r|)', { r: okReply() });
    };
    const deps: MetricPathDeps = { ...settings, scheduler, cache, save, scale, queryAppMetrics: cacheReader(cache) };
    const { appMetric$, persist$, decision$ } = metricPath(
      {
        envelope$: hot('500ms a 999ms b 999ms c 999ms d', {
          a: cpu(500, 90),
          b: cpu(1500, 90),
          c: cpu(2500, 90),
          d: cpu(3500, 90),
        }),
        monitor$: hot('m', { m: new Map([['app', ['cpu']]]) }),
        policy$: hot('p', { p: policies({ app: [cpuAbove50] }) }),
      },
      deps,
    );
    const until = '^ 4500ms !';
    expectObservable(appMetric$, until).toBe('1s a 999ms b 999ms c 999ms d', {
      a: cpuMetric(1000, '90'),
      b: cpuMetric(2000, '90'),
      c: cpuMetric(3000, '90'),
      d: cpuMetric(4000, '90'),
    });
    expectObservable(persist$.pipe(map(persisted)), until).toBe('2500ms s', { s: 'saved 2' });
    expectObservable(decision$.pipe(map(short)), until).toBe('1s n 999ms n 999ms (bc) 96ms r 899ms (bh)', {
      n: NOT_ENOUGH,
      b: 'breach #0 >50',
      c: 'call +1',
      r: 'ok cooldown 63.1s',
      h: 'hold until 63.1s',
    });
  });
  assert.equal(saved, [['90', '90']]);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.metricType, 'cpu');
});

test(`envelope$ completing flushes what persistence holds and completes every output
    envelope$   500ms a 999ms b 999ms |
    appMetric$  1s A 999ms B 499ms |
    persist$    2500ms (s|)                                s: everything held, saved at once
    decision$   1s n 999ms n 499ms |`, () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const cache = createMetricCache({ capacityPerApp: 10 });
    cache.sync(['app']);
    const { appMetric$, persist$, decision$ } = metricPath(
      {
        envelope$: hot('500ms a 999ms b 999ms |', { a: cpu(500, 90), b: cpu(1500, 90) }),
        monitor$: hot('m', { m: new Map([['app', ['cpu']]]) }),
        policy$: hot('p', { p: policies({ app: [cpuAbove50] }) }),
      },
      {
        ...settings,
        saveIntervalMs: 60_000,
        scheduler,
        cache,
        save: (batch) => cold('(r|)', { r: { saved: batch.length, rejected: [] } }),
        scale: () => cold('(r|)', { r: okReply() }),
        queryAppMetrics: cacheReader(cache),
      },
    );
    expectObservable(appMetric$).toBe('1s a 999ms b 499ms |', { a: cpuMetric(1000, '90'), b: cpuMetric(2000, '90') });
    expectObservable(persist$.pipe(map(persisted))).toBe('2500ms (s|)', { s: 'saved 2' });
    expectObservable(decision$.pipe(map((d) => d.kind))).toBe('1s n 999ms n 499ms |', { n: 'no-breach' });
  }));

test(`failures are events: a failed save is retried, a failed scaling call is a failed result
    save        #, then ok
    persist$    2500ms f 499ms s                           f: retrying after the failure, s: saved
    scale       #
    decision$   3s (bcr)                                   b: breach, c: call, r: failed result`, () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const cache = createMetricCache({ capacityPerApp: 10 });
    cache.sync(['app']);
    const saves = [
      cold<never>('#', undefined, new Error('database down')),
      cold('(r|)', { r: { saved: 2, rejected: [] } }),
    ];
    const { persist$, decision$ } = metricPath(
      {
        envelope$: hot('500ms a 999ms b 999ms c', { a: cpu(500, 90), b: cpu(1500, 90), c: cpu(2500, 90) }),
        monitor$: hot('m', { m: new Map([['app', ['cpu']]]) }),
        policy$: hot('p', { p: policies({ app: [cpuAbove50] }) }),
      },
      {
        ...settings,
        scheduler,
        cache,
        save: () => saves.shift()!,
        scale: () => cold('#', undefined, new Error('connection refused')),
        queryAppMetrics: cacheReader(cache),
      },
    );
    const until = '^ 3500ms !';
    expectObservable(persist$.pipe(map(persisted)), until).toBe('2500ms f 499ms s', {
      f: 'retry 1: database down',
      s: 'saved 2',
    });
    expectObservable(
      decision$.pipe(
        map(short),
        filter((line) => !line.startsWith('no #')),
      ),
      until,
    ).toBe('3s (bcr)', { b: 'breach #0 >50', c: 'call +1', r: 'failed: scaling call failed: connection refused' });
  }));

test.run();
