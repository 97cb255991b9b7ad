import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Observable } from 'rxjs';
import { collectMetrics } from '../../pipelines/collect-metrics.ts';
import type { CollectDeps, CollectEvent } from '../../pipelines/collect-metrics.ts';
import { marbles } from '../support/marbles.ts';
import type { Envelope, EnvelopeRead, InstanceSample } from '../../lib/core/model/envelope.ts';
import type { Monitors } from '../../lib/core/model/policy.ts';

const ns = (ms: number): bigint => BigInt(ms) * 1_000_000n;
const monitor = (entries: Record<string, string[]>): Monitors => new Map(Object.entries(entries));
const envelope = (appId: string): Envelope => ({
  timestamp: 1n,
  sourceId: appId,
  instanceId: '0',
  tags: {},
  gauge: { cpu: { unit: 'percentage', value: 5 } },
});
const result = (appId: string, rejected = 0): EnvelopeRead => ({
  envelopes: [envelope(appId)],
  rejected: Array.from({ length: rejected }, (_, index) => ({ index, reason: 'bad' })),
});
const got = (appId: string, rejected = 0): CollectEvent => ({
  kind: 'envelopes',
  appId,
  envelopes: [envelope(appId)],
  rejected,
});
const sample = (value: string, instanceIndex: number): InstanceSample => ({
  appId: 'a',
  instanceIndex,
  name: 'throughput',
  unit: 'rps',
  value,
  timestamp: 0n,
  collectedAt: 0n,
});

type ReadCall = [string, string, bigint, bigint];

/** Deps whose reads are answered by `reply(appId, callNumber)` and recorded. */
const depsWith = (
  scheduler: CollectDeps['scheduler'],
  reply: (appId: string, n: number) => Observable<EnvelopeRead>,
  extra: Partial<CollectDeps> = {},
) => {
  const reads: ReadCall[] = [];
  const deps: CollectDeps = {
    scheduler,
    statWindowSecs: 0.025,
    concurrency: 20,
    readEnvelopes: (appId, nameFilter, start, end) => {
      reads.push([appId, nameFilter, start, end]);
      return reply(appId, reads.length);
    },
    queryPromQl: () => {
      throw new Error('unexpected PromQL query');
    },
    ...extra,
  };
  return { deps, reads };
};

// ---
const windows = suite('collectMetrics: read windows');

windows('reads each app once per tick with one filter for all its types, windows following on', () => {
  let reads: ReadCall[] = [];
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const monitor$ = hot('m', { m: monitor({ a: ['memoryused', 'cpu', 'memoryused'] }) });
    const tick$ = hot('   30ms t 9ms t 9ms t');
    const t = depsWith(scheduler, (app) => cold('-r|', { r: result(app) }));
    reads = t.reads;
    expectObservable(collectMetrics({ tick$, monitor$ }, t.deps)).toBe('31ms e 9ms e 9ms e', { e: got('a') });
  });
  assert.equal(reads, [
    ['a', 'memory|cpu', ns(5), ns(30)],
    ['a', 'memory|cpu', ns(30), ns(40)],
    ['a', 'memory|cpu', ns(40), ns(50)],
  ]);
});

windows('skips an app on ticks while its read is in flight', () => {
  let reads: ReadCall[] = [];
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const monitor$ = hot('m', { m: monitor({ a: ['cpu'] }) });
    const tick$ = hot('   30ms t 9ms t 9ms t');
    const t = depsWith(scheduler, (app) => cold('15ms r|', { r: result(app) }));
    reads = t.reads;
    expectObservable(collectMetrics({ tick$, monitor$ }, t.deps)).toBe('45ms e 19ms e', { e: got('a') });
  });
  assert.equal(
    reads.map((r) => [r[2], r[3]]),
    [
      [ns(5), ns(30)],
      [ns(30), ns(50)],
    ],
  );
});

windows('does not advance the window after a failure, so the next read catches up', () => {
  let reads: ReadCall[] = [];
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const monitor$ = hot('m', { m: monitor({ a: ['cpu'] }) });
    const tick$ = hot('   30ms t 9ms t 9ms t');
    const t = depsWith(scheduler, (app, n) =>
      n === 2 ? cold('-#', undefined, new Error('unexpected status code 503')) : cold('-r|', { r: result(app) }),
    );
    reads = t.reads;
    expectObservable(collectMetrics({ tick$, monitor$ }, t.deps)).toBe('31ms e 9ms f 9ms e', {
      e: got('a'),
      f: { kind: 'failed', appId: 'a', error: 'unexpected status code 503' },
    });
  });
  assert.equal(
    reads.map((r) => [r[2], r[3]]),
    [
      [ns(5), ns(30)],
      [ns(30), ns(40)],
      [ns(30), ns(50)],
    ],
  );
});

windows('never catches up further back than the stat window', () => {
  let reads: ReadCall[] = [];
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const monitor$ = hot('m', { m: monitor({ a: ['cpu'] }) });
    const tick$ = hot('   30ms t 29ms t 9ms t');
    const t = depsWith(scheduler, (app, n) =>
      n === 2 ? cold('-#', undefined, new Error('down')) : cold('-r|', { r: result(app) }),
    );
    reads = t.reads;
    expectObservable(collectMetrics({ tick$, monitor$ }, t.deps)).toBe('31ms e 29ms f 9ms e', {
      e: got('a'),
      f: { kind: 'failed', appId: 'a', error: 'down' },
    });
  });
  assert.equal(
    reads.map((r) => [r[2], r[3]]),
    [
      [ns(5), ns(30)],
      [ns(35), ns(60)],
      [ns(45), ns(70)],
    ],
  );
});

windows('passes the number of rejected envelopes on', () => {
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const t = depsWith(scheduler, (app) => cold('-r|', { r: result(app, 2) }));
    expectObservable(
      collectMetrics({ tick$: hot('10ms t'), monitor$: hot('m', { m: monitor({ a: ['cpu'] }) }) }, t.deps),
    ).toBe('11ms e', { e: got('a', 2) });
  });
});

// ---
const fanOut = suite('collectMetrics: apps and concurrency');

fanOut('does not let one slow app delay the others', () => {
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const monitor$ = hot('m', { m: monitor({ a: ['cpu'], b: ['cpu'] }) });
    const tick$ = hot('   10ms t 9ms t');
    const t = depsWith(scheduler, (app) =>
      app === 'a' ? cold('100ms r|', { r: result(app) }) : cold('-r|', { r: result(app) }),
    );
    expectObservable(collectMetrics({ tick$, monitor$ }, t.deps)).toBe('11ms b 9ms b 88ms a', {
      a: got('a'),
      b: got('b'),
    });
  });
});

fanOut('runs at most `concurrency` reads at once', () => {
  marbles(({ hot, cold, expectObservable, expectSubscriptions, scheduler }) => {
    const reads = {
      a: cold('5ms r|', { r: result('a') }),
      b: cold('5ms r|', { r: result('b') }),
      c: cold('5ms r|', { r: result('c') }),
    };
    const t = depsWith(scheduler, (app) => reads[app as 'a' | 'b' | 'c'], { concurrency: 1 });
    const out$ = collectMetrics(
      { tick$: hot('10ms t'), monitor$: hot('m', { m: monitor({ a: ['cpu'], b: ['disk'], c: ['memoryused'] }) }) },
      t.deps,
    );
    expectObservable(out$).toBe('15ms a 5ms b 5ms c', { a: got('a'), b: got('b'), c: got('c') });
    expectSubscriptions(reads.a.subscriptions).toBe('10ms ^ 5ms !');
    expectSubscriptions(reads.b.subscriptions).toBe('16ms ^ 5ms !');
    expectSubscriptions(reads.c.subscriptions).toBe('22ms ^ 5ms !');
  });
});

fanOut('follows monitor changes: cancels a removed app, reads an added one, restarts a returning one', () => {
  let reads: ReadCall[] = [];
  marbles(({ hot, cold, expectObservable, expectSubscriptions, scheduler }) => {
    const slowA = cold('10ms r|', { r: result('a') });
    const monitor$ = hot('m 34ms n 9ms o', {
      m: monitor({ a: ['cpu'] }),
      n: monitor({ b: ['cpu'] }),
      o: monitor({ a: ['cpu'], b: ['cpu'] }),
    });
    const tick$ = hot('   30ms t 9ms t 9ms t');
    const t = depsWith(scheduler, (app) => (app === 'a' ? slowA : cold('-r|', { r: result(app) })));
    reads = t.reads;
    expectObservable(collectMetrics({ tick$, monitor$ }, t.deps)).toBe('41ms b 9ms b 8ms a', {
      a: got('a'),
      b: got('b'),
    });
    expectSubscriptions(slowA.subscriptions).toBe(['30ms ^ 4ms !', '50ms ^ 10ms !']);
  });
  assert.equal(
    reads.map((r) => [r[0], r[2], r[3]]),
    [
      ['a', ns(5), ns(30)],
      ['b', ns(15), ns(40)],
      ['a', ns(25), ns(50)],
      ['b', ns(40), ns(50)],
    ],
  );
});

fanOut('does nothing on ticks before the first monitor map, or for an empty one', () => {
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const t = depsWith(scheduler, (app) => cold('-r|', { r: result(app) }));
    expectObservable(
      collectMetrics(
        {
          tick$: hot('10ms t 9ms t 9ms t'),
          monitor$: hot('15ms m 9ms n', { m: monitor({}), n: monitor({ a: ['cpu'] }) }),
        },
        t.deps,
      ),
    ).toBe('31ms e', { e: got('a') });
  });
});

// ---
const promql = suite('collectMetrics: PromQL metrics');

promql('queries each PromQL type beside the one read and aggregates the samples at once', () => {
  const queries: Array<[string, string, bigint]> = [];
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const t = depsWith(scheduler, (app) => cold('-r|', { r: result(app) }), {
      queryPromQl: (appId, type, at) => {
        queries.push([appId, type, at]);
        return type === 'throughput'
          ? cold('10ms s|', { s: [sample('3', 0), sample('4', 1)] })
          : cold('3ms #', undefined, new Error('result does not contain a vector'));
      },
    });
    const monitor$ = hot('m', { m: monitor({ a: ['throughput', 'cpu', 'responsetime', 'throughput'] }) });
    expectObservable(collectMetrics({ tick$: hot('30ms t'), monitor$ }, t.deps)).toBe('31ms e 1ms f 6ms m', {
      e: got('a'),
      f: { kind: 'failed', appId: 'a', metricType: 'responsetime', error: 'result does not contain a vector' },
      m: { kind: 'metric', metric: { appId: 'a', name: 'throughput', unit: 'rps', value: '4', timestamp: ns(40) } },
    });
    assert.equal(
      t.reads.map((r) => r[1]),
      [],
    );
  });
  assert.equal(queries, [
    ['a', 'throughput', ns(30)],
    ['a', 'responsetime', ns(30)],
  ]);
});

promql('sends no read for an app whose rules all use PromQL', () => {
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const t = depsWith(scheduler, () => cold('#', undefined, new Error('no read expected')), {
      queryPromQl: () => cold('-s|', { s: [] as InstanceSample[] }),
    });
    expectObservable(
      collectMetrics({ tick$: hot('10ms t'), monitor$: hot('m', { m: monitor({ a: ['throughput'] }) }) }, t.deps),
    ).toBe('11ms m', {
      m: { kind: 'metric', metric: { appId: 'a', name: 'throughput', unit: '', value: '', timestamp: ns(11) } },
    });
  });
});

// ---
const lifecycle = suite('collectMetrics: lifecycle');

lifecycle('completes after the tick source completes and in-flight reads finish', () => {
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const t = depsWith(scheduler, (app) => cold('5ms r|', { r: result(app) }));
    expectObservable(
      collectMetrics({ tick$: hot('30ms t|'), monitor$: hot('m', { m: monitor({ a: ['cpu'] }) }) }, t.deps),
    ).toBe('35ms e|', { e: got('a') });
  });
});

lifecycle('fails when the tick source fails', () => {
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const t = depsWith(scheduler, (app) => cold('5ms r|', { r: result(app) }));
    expectObservable(
      collectMetrics(
        { tick$: hot('30ms #', undefined, new Error('clock')), monitor$: hot('m', { m: monitor({ a: ['cpu'] }) }) },
        t.deps,
      ),
    ).toBe('30ms #', undefined, new Error('clock'));
  });
});

lifecycle('tears down in-flight reads on unsubscribe', () => {
  marbles(({ hot, cold, expectObservable, expectSubscriptions, scheduler }) => {
    const read = cold('10ms r|', { r: result('a') });
    const t = depsWith(scheduler, () => read);
    expectObservable(
      collectMetrics({ tick$: hot('30ms t'), monitor$: hot('m', { m: monitor({ a: ['cpu'] }) }) }, t.deps),
      '^ 32ms !',
    ).toBe('');
    expectSubscriptions(read.subscriptions).toBe('30ms ^ 2ms !');
  });
});

windows.run();
fanOut.run();
promql.run();
lifecycle.run();
