import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { filter, map, tap } from 'rxjs/operators';
import type { Observable } from 'rxjs';
import { replayAggregation } from '../../../pipelines/graph/replay-aggregation.ts';
import { replayGraph } from '../../../pipelines/graph/replay-graph.ts';
import type { ReplayEvent, ReplayGraphAdapters } from '../../../pipelines/graph/replay-graph.ts';
import type { ReplaySettings } from '../../../pipelines/graph/replay-settings.ts';
import { createMetricCache } from '../../../lib/core/evaluation/metric-cache.ts';
import type { Envelope } from '../../../lib/core/model/envelope.ts';
import type { Policy } from '../../../lib/core/model/policy.ts';
import type { Logger } from '../../../lib/core/model/ports.ts';
import { nsToMs } from '../../../lib/core/time/ns.ts';
import { marbles } from '../../support/marbles.ts';
import { okReply, policies, short } from '../evaluation-fixtures.ts';
import { breaker, cacheReader, cpu, cpuAbove50, NOT_ENOUGH } from './graph-fixtures.ts';
import type { Helpers } from './graph-fixtures.ts';

/** Virtual milliseconds: one aggregation a second over the last second, a save every 2.5 s. */
const settings: ReplaySettings = {
  statWindowSecs: 1,
  defaultBreachDurationSecs: 1,
  aggregatorIntervalMs: 1000,
  saveIntervalMs: 2500,
  metricCacheSizePerApp: 10,
  breaker,
  defaultCoolDownSecs: 60,
};

const label = (e: ReplayEvent): string => {
  switch (e.kind) {
    case 'metric':
      return `metric ${e.metric.appId} ${e.metric.value}`;
    case 'decision':
      return short(e.decision);
    case 'persist':
      return e.event.kind === 'saved' ? `saved ${e.event.count}` : e.event.kind;
  }
};

/** A logger that keeps what the pipelines warn about. */
const recordingLogger = (lines: string[]): Logger => {
  const logger: Logger = {
    warn: (_fields, message) => lines.push(`warn ${message}`),
    error: (_fields, message) => lines.push(`error ${message}`),
    child: () => logger,
  };
  return logger;
};

/**
 * The replay graph over a virtual scheduler, fed by the replay's aggregation on the same scheduler
 * (as the reader thread runs it on a clock of its own): each metric is handed over as it is made,
 * before the graph's own tick at that instant. The cache follows each policy map before it is emitted.
 */
const build = (
  { cold, scheduler }: Helpers,
  sources: {
    envelope$: Observable<Envelope>;
    policy$: Observable<ReadonlyMap<string, Policy>>;
    stop$: Observable<unknown>;
  },
  over: Partial<ReplaySettings> = {},
) => {
  const cache = createMetricCache({ capacityPerApp: 10 });
  const logs: string[] = [];
  const adapters: ReplayGraphAdapters = {
    scheduler,
    cache,
    save: (batch) => cold('(r|)', { r: { saved: batch.length, rejected: [] } }),
    queryAppMetrics: cacheReader(cache),
    scale: () => cold('100ms (r|)', { r: okReply() }),
    logger: recordingLogger(logs),
  };
  const policy$ = sources.policy$.pipe(tap((map) => cache.sync(map.keys())));
  const all = { ...settings, ...over };
  const aggregated$ = replayAggregation(
    { envelope$: sources.envelope$, policy$: sources.policy$ },
    { scheduler, logger: adapters.logger },
    all,
  ).pipe(map((metric) => ({ atMs: nsToMs(metric.timestamp), metrics: [metric] })));
  return {
    event$: replayGraph({ aggregated$, policy$, stop$: sources.stop$ }, adapters, all).pipe(map(label)),
    logs,
  };
};

const test = suite('replayGraph');

test(`recorded envelopes in; metrics, decisions and saves out; completes once envelope$ has ended and all is saved
    envelope$  500ms a 999ms b 999ms c 699ms |            cpu 90 %
    event$     1s (mn) 996ms (mn) 496ms s 499ms (mbc) 95ms k 99ms (l|)
               m: metric, n: not enough history, s: A and B saved, b: breach, c: call, k: reply,
               l: C saved when envelope$ completes`, () =>
  marbles((helpers) => {
    const graph = build(helpers, {
      envelope$: helpers.hot('500ms a 999ms b 999ms c 699ms |', {
        a: cpu(500, 90),
        b: cpu(1500, 90),
        c: cpu(2500, 90),
      }),
      policy$: helpers.hot('p', { p: policies({ app: [cpuAbove50] }) }),
      stop$: helpers.hot('-'),
    });
    helpers.expectObservable(graph.event$).toBe('1s (mn) 996ms (mn) 496ms s 499ms (mbc) 95ms k 99ms (l|)', {
      m: 'metric app 90',
      n: NOT_ENOUGH,
      s: 'saved 2',
      b: 'breach #0 >50',
      c: 'call +1',
      k: 'ok cooldown 63.1s',
      l: 'saved 1',
    });
  }));

test(`a new policy map updates the monitors: an app's envelopes count from the map that names it on
    policy$    p 1499ms q                                 p: app, q: app and other
    envelope$  500ms (ao) 1095ms p 899ms (bq)             o: other's envelope before q, ignored
    metric     1s a 999ms (ab) 996ms (ab)                 a: app, b: other ("" when it had no envelope)`, () =>
  marbles((helpers) => {
    const graph = build(helpers, {
      envelope$: helpers.hot('500ms (ao) 1095ms p 899ms (bq)', {
        a: cpu(500, 90),
        o: cpu(500, 70, 'other'),
        p: cpu(1600, 70, 'other'),
        b: cpu(2500, 90),
        q: cpu(2500, 70, 'other'),
      }),
      policy$: helpers.hot('p 1499ms q', {
        p: policies({ app: [cpuAbove50] }),
        q: policies({ app: [cpuAbove50], other: [cpuAbove50] }),
      }),
      stop$: helpers.hot('-'),
    });
    helpers
      .expectObservable(graph.event$.pipe(filter((line) => line.startsWith('metric'))), '^ 3500ms !')
      .toBe('1s a 999ms (cb) 996ms (ab)', { a: 'metric app 90', b: 'metric other 70', c: 'metric app ' });
  }));

test(`with an evaluation interval, every rule is re-evaluated each tick until stop$; then the graph completes
    envelope$  500ms a 799ms |
    stop$      2500ms s
    event$     1s (mnt) 295ms s 699ms t 499ms |           t: the tick's evaluation, s: A saved when envelope$ ends`, () =>
  marbles((helpers) => {
    const graph = build(
      helpers,
      {
        envelope$: helpers.hot('500ms a 799ms |', { a: cpu(500, 90) }),
        policy$: helpers.hot('p', { p: policies({ app: [cpuAbove50] }) }),
        stop$: helpers.hot('2500ms s'),
      },
      { evaluationIntervalMs: 1000 },
    );
    helpers.expectObservable(graph.event$).toBe('1s (mnt) 295ms s 699ms t 499ms |', {
      m: 'metric app 90',
      n: NOT_ENOUGH,
      t: NOT_ENOUGH,
      s: 'saved 1',
    });
    assert.equal(graph.logs, []);
  }));

test.run();
