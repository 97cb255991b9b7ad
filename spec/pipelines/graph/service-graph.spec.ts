import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NEVER, of } from 'rxjs';
import { filter, map } from 'rxjs/operators';
import type { Observable } from 'rxjs';
import { serviceGraph } from '../../../pipelines/graph/service-graph.ts';
import type { ServiceAdapters, ServiceEvent } from '../../../pipelines/graph/service-graph.ts';
import type { ServiceSettings } from '../../../pipelines/graph/service-settings.ts';
import { createMetricCache } from '../../../lib/core/evaluation/metric-cache.ts';
import type { EnvelopeRead } from '../../../lib/core/model/envelope.ts';
import type { PolicyRow, Trigger } from '../../../lib/core/model/policy.ts';
import { nsToMs } from '../../../lib/core/time/ns.ts';
import { createDecisionWatcher } from '../../../lib/core/explain/decision-watcher.ts';
import { marbles } from '../../support/marbles.ts';
import type { ColdObservable } from '../../support/marbles.ts';
import { okReply, short } from '../evaluation-fixtures.ts';
import { breaker, cacheReader, cpu, NOT_ENOUGH, persisted } from './graph-fixtures.ts';
import type { Helpers } from './graph-fixtures.ts';

/** Virtual milliseconds: policies every 10 s, a log-cache read and an aggregation every second. */
const settings: ServiceSettings = {
  aggregatorIntervalMs: 1000,
  policyPollIntervalMs: 10_000,
  saveIntervalMs: 2500,
  saveBatchSize: 100,
  maxPendingMetrics: 1000,
  statWindowSecs: 1,
  defaultBreachDurationSecs: 1,
  metricCacheSizePerApp: 10,
  evaluationIntervalMs: 1000,
  periodicEvaluation: false,
  evaluationConcurrency: 1,
  logCacheConcurrency: 4,
  collection: { mode: 'polling' },
  breaker,
  journal: { flushIntervalMs: 2000, maxBatchSize: 100, maxPending: 1000, pruneIntervalMs: 600_000 },
};

const CPU_ABOVE_50 =
  '{"instance_min_count":1,"instance_max_count":5,"scaling_rules":[{"metric_type":"cpu","breach_duration_secs":1,"threshold":50,"operator":">","cool_down_secs":60,"adjustment":"+1"}]}';
const row = (appId: string): PolicyRow => ({ appId, policyJson: CPU_ABOVE_50 });

/** One short line per event, so a marble value reads as what happened. */
const label = ({ source, event }: ServiceEvent): string => {
  switch (source) {
    case 'policies':
      return event.kind === 'policies'
        ? `policies ${[...event.policies.keys()].join(',')}`
        : `poll failed: ${event.error}`;
    case 'collect':
      if (event.kind === 'envelopes') return `read ${event.appId}`;
      return event.kind === 'failed' ? `read failed ${event.appId}: ${event.error}` : 'promql';
    case 'persist':
      return persisted(event);
    case 'decision':
      return short(event);
    case 'journal':
      return event.kind === 'written' ? `journaled ${event.count}` : `journal ${event.kind}`;
  }
};

/** A log-cache answering every read at once with one cpu gauge of 90 % just before the window's end. */
const readAt90 =
  (reads: string[], now: () => number) =>
  (appId: string, _nameFilter: string, _start: bigint, end: bigint): Observable<EnvelopeRead> => {
    reads.push(`${now()} ${appId}`);
    return of({ envelopes: [cpu(Number(nsToMs(end)) - 1, 90, appId)], rejected: [] });
  };

interface Fakes {
  readonly rows?: () => Observable<readonly PolicyRow[]>;
  readonly policyChange$?: Observable<unknown>;
  readonly save?: ServiceAdapters['saveMetrics'];
  readonly readEnvelopes?: ServiceAdapters['readEnvelopes'];
  readonly journal?: ServiceAdapters['journal'];
}

/** The graph over fake adapters: policies `app` (cpu above 50 %), reads at 90 %, saves and scaling that succeed. */
const build = ({ cold, scheduler }: Helpers, stop$: Observable<unknown>, fakes: Fakes = {}) => {
  const reads: string[] = [];
  const sent: Trigger[] = [];
  const saved: number[] = [];
  const cache = createMetricCache({ capacityPerApp: 10 });
  const adapters: ServiceAdapters = {
    scheduler,
    retrievePolicies: fakes.rows ?? (() => cold('(r|)', { r: [row('app')] })),
    policyChange$: fakes.policyChange$ ?? NEVER,
    owns$: of(() => true),
    readEnvelopes: fakes.readEnvelopes ?? readAt90(reads, () => scheduler.now()),
    queryPromQl: () => NEVER,
    saveMetrics:
      fakes.save ??
      ((batch) => {
        saved.push(batch.length);
        return cold('(r|)', { r: { saved: batch.length, rejected: [] } });
      }),
    queryAppMetrics: cacheReader(cache),
    scale: (trigger) => {
      sent.push(trigger);
      return cold('100ms (r|)', { r: okReply() });
    },
    cache,
    ...(fakes.journal ? { journal: fakes.journal } : {}),
  };
  const { event$, decision$ } = serviceGraph(adapters, settings, stop$);
  return { event$: event$.pipe(map(label)), decision$, reads, sent, saved };
};

const test = suite('serviceGraph');

test(`policies, then one read a second; each metric is persisted and evaluated, and a breach calls scale once
    policies   p                                          the poll at start
    reads      1s r 999ms r 999ms r                       log-cache: cpu 90 %
    event$     p 999ms (rmn) 995ms (rmn) 495ms s 499ms (rmbc) 94ms k
               r: read, m: metric, n: not enough history, s: saved, b: breach, c: call, k: reply`, () => {
  let graph: ReturnType<typeof build> | undefined;
  marbles((helpers) => {
    graph = build(helpers, helpers.hot('-'));
    helpers.expectObservable(graph.event$, '^ 3500ms !').toBe('p 999ms (rmn) 995ms (rmn) 495ms s 499ms (rmbc) 94ms k', {
      p: 'policies app',
      r: 'read app',
      m: 'metric 90',
      n: NOT_ENOUGH,
      s: 'saved 2',
      b: 'breach #0 >50',
      c: 'call +1',
      k: 'ok cooldown 63.1s',
    });
  });
  assert.equal(graph!.reads, ['1000 app', '2000 app', '3000 app']);
  assert.equal(graph!.saved, [2], 'one batch, of the metrics at 1 s and 2 s');
  assert.equal(
    graph!.sent.map((t) => `${t.appId} ${t.metricType} ${t.adjustment}`),
    ['app cpu +1'],
  );
});

test(`stop$ ends the ticks; persistence flushes what it holds and event$ completes
    stop$      1500ms s
    event$     p 999ms (rmn) 495ms (s|)                   s: the metric held, saved at stop`, () =>
  marbles((helpers) => {
    const graph = build(helpers, helpers.hot('1500ms s'));
    helpers.expectObservable(graph.event$).toBe('p 999ms (rmn) 495ms (s|)', {
      p: 'policies app',
      r: 'read app',
      m: 'metric 90',
      n: NOT_ENOUGH,
      s: 'saved 1',
    });
    helpers.expectObservable(graph.decision$.pipe(map((d) => d.kind))).toBe('1s (mn) 496ms |', {
      m: 'metric',
      n: 'no-breach',
    });
  }));

test(`a policy change re-reads the policies and the monitors follow: reads start and stop with the apps
    policyChange$  1500ms c 999ms c
    policies       p 1499ms q 999ms o                     p: app, q: app and other, o: other
    reads          1s a 999ms (ao) 999ms o`, () => {
  let graph: ReturnType<typeof build> | undefined;
  marbles((helpers) => {
    const reads = [[row('app')], [row('app'), row('other')], [row('other')]];
    graph = build(helpers, helpers.hot('-'), {
      rows: () => helpers.cold('(r|)', { r: reads.shift()! }),
      policyChange$: helpers.hot('1500ms c 999ms c'),
    });
    helpers
      .expectObservable(graph.event$.pipe(filter((line) => line.startsWith('policies'))), '^ 3500ms !')
      .toBe('p 1499ms q 999ms o', { p: 'policies app', q: 'policies app,other', o: 'policies other' });
  });
  assert.equal(graph!.reads, ['1000 app', '2000 app', '2000 other', '3000 other']);
});

test(`failures are events and the graph carries on: a failed poll, read and save are each reported, then retried
    retrievePolicies  #, then ok                          f: failed poll, p: its retry a second later
    readEnvelopes     ok, #, ok                           x: the read at 3 s failed; the one at 4 s catches up
    saveMetrics       #, then ok                          e: failed save, s: its retry half a second later
    event$            f 999ms p 999ms (rmn) 495ms e 499ms (xs) 996ms (rmbc) 94ms k`, () =>
  marbles((helpers) => {
    const { cold, hot, scheduler } = helpers;
    const polls: ColdObservable<readonly PolicyRow[]>[] = [
      cold('#', undefined, new Error('database down')),
      cold('(r|)', { r: [row('app')] }),
    ];
    let read = 0;
    const reads: string[] = [];
    const saves = [
      cold<never>('#', undefined, new Error('database down')),
      cold('(r|)', { r: { saved: 1, rejected: [] } }),
    ];
    const graph = build(helpers, hot('-'), {
      rows: () => polls.shift()!,
      readEnvelopes: (...args) =>
        ++read === 2
          ? cold<never>('#', undefined, new Error('log-cache down'))
          : readAt90(reads, () => scheduler.now())(...args),
      save: () => saves.shift()!,
    });
    helpers
      .expectObservable(graph.event$, '^ 4500ms !')
      .toBe('f 999ms p 999ms (rmn) 495ms e 499ms (xs) 996ms (rmbc) 94ms k', {
        f: 'poll failed: database down',
        p: 'policies app',
        r: 'read app',
        m: 'metric 90',
        n: NOT_ENOUGH,
        e: 'retry 1: database down',
        x: 'read failed app: log-cache down',
        s: 'saved 1',
        b: 'breach #0 >50',
        c: 'call +1',
        k: 'ok cooldown 64.1s',
      });
    helpers.flush();
    assert.equal(reads, ['2000 app', '4000 app'], 'the reads that answered');
  }));

test(`with a journal, the state changes of the decisions are written in batches beside them
    calls      3000ms c 99ms k 899ms j                    j: on the 2 s flush tick, 3 entries (breach started, call sent, answered)`, () => {
  const journaled: string[][] = [];
  const watcher = createDecisionWatcher();
  marbles((helpers) => {
    const graph = build(helpers, helpers.hot('-'), {
      journal: {
        watcher,
        append: (batch) => {
          journaled.push(batch.map((e) => e.event));
          return helpers.cold('(n|)', { n: batch.length });
        },
        prune: () => helpers.cold('(r|)', { r: { expired: 0, overCap: 0 } }),
      },
    });
    helpers
      .expectObservable(graph.event$.pipe(filter((line) => /^(call|ok|journal)/.test(line))), '^ 4500ms !')
      .toBe('3000ms c 99ms k 899ms j', { c: 'call +1', k: 'ok cooldown 63.1s', j: 'journaled 3' });
  });
  assert.equal(journaled, [['breach-started', 'scaling-sent', 'scaling-answered']]);
  assert.is(watcher.get('app')?.rules.get(0)?.phase, 'breaching');
});

test.run();
