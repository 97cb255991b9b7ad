import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { aggregateMetrics } from '../../pipelines/aggregate-metrics.ts';
import type { AggregateMetricsDeps } from '../../pipelines/aggregate-metrics.ts';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import type { Envelope } from '../../lib/core/model/envelope.ts';
import { createLogger } from '../../lib/adapters/log/logger.ts';
import { marbles } from '../support/marbles.ts';

const ms = (n: number): bigint => BigInt(n) * 1_000_000n;
const gauge = (
  appId: string,
  instanceId: string,
  tsMs: number,
  name: string,
  value: number,
  unit = 'percentage',
): Envelope => ({
  timestamp: ms(tsMs),
  sourceId: appId,
  instanceId,
  tags: { origin: 'rep' },
  gauge: { [name]: { unit, value } },
});
const httpTimer = (
  appId: string,
  instanceId: string,
  tsMs: number,
  durationMs: number,
  peerType = 'Client',
): Envelope => ({
  timestamp: ms(tsMs),
  sourceId: appId,
  instanceId,
  tags: { peer_type: peerType, request_id: `r-${tsMs}-${durationMs}` },
  timer: { name: 'http', start: ms(tsMs - durationMs), stop: ms(tsMs) },
});
const metric = (appId: string, name: string, atMs: number, value: string, unit: string): AppMetric => ({
  appId,
  name,
  unit,
  value,
  timestamp: ms(atMs),
});
const empty = (appId: string, name: string, atMs: number): AppMetric => metric(appId, name, atMs, '', '');
const monitors = (entries: Record<string, string[]>) => new Map(Object.entries(entries));

type Deps = Omit<AggregateMetricsDeps, 'scheduler'>;
const base: Deps = { statWindowSecs: 0.01, intervalMs: 10, localHttpMetrics: false };

const test = suite('aggregateMetrics');

test('averages the envelopes of [now − stat window, now): start inclusive, end exclusive', () =>
  marbles(({ hot, expectObservable, scheduler }) => {
    const e = {
      a: gauge('app', '0', 0, 'cpu', 10), // at the start of the first window
      b: gauge('app', '0', 5, 'cpu', 20),
      c: gauge('app', '0', 10, 'cpu', 90), // at the end of the first window: next window only
      d: gauge('app', '0', 15, 'cpu', 30),
    };
    const envelope$ = hot('  -(abcd)-------------------', e);
    const monitor$ = hot('   m-------------------------', { m: monitors({ app: ['cpu'] }) });
    expectObservable(aggregateMetrics({ envelope$, monitor$ }, { ...base, scheduler }), '^ 35ms !').toBe(
      '10ms x 9ms y 9ms z',
      {
        x: metric('app', 'cpu', 10, '15', '%'),
        y: metric('app', 'cpu', 20, '60', '%'),
        z: empty('app', 'cpu', 30),
      },
    );
  }));

test('with flush$, computes an app the moment its read is in, and never on the interval', () =>
  marbles(({ hot, expectObservable, scheduler }) => {
    const e = {
      a: gauge('app', '0', 1, 'cpu', 40),
      b: gauge('app', '1', 2, 'cpu', 61),
      c: gauge('other', '0', 3, 'cpu', 5),
    };
    const envelope$ = hot('  -(ab)--c---------', e);
    const flush$ = hot('     ---a---o--a--z---', { a: 'app', o: 'other', z: 'unmonitored' });
    const monitor$ = hot('   m----------------', { m: monitors({ app: ['cpu'], other: ['cpu'] }) });
    expectObservable(aggregateMetrics({ envelope$, monitor$, flush$ }, { ...base, scheduler }), '^ 25ms !').toBe(
      '---x---y--w',
      {
        x: metric('app', 'cpu', 3, '51', '%'),
        y: metric('other', 'cpu', 7, '5', '%'),
        // at 10 ms the window [0, 10) still holds both instances' gauges
        w: metric('app', 'cpu', 10, '51', '%'),
      },
    );
  }));

test('a replacement swaps what an app holds before beforeNs, or from fromNs on alone (a gap fill)', () =>
  marbles(({ hot, expectObservable, scheduler }) => {
    // Held: 10 at 1 ms, 20 at 4 ms, 30 at 7 ms. Read: 40 at 2 ms, 50 at 5 ms, 60 at 8 ms.
    const e = {
      a: gauge('app', '0', 1, 'cpu', 10),
      b: gauge('app', '0', 4, 'cpu', 20),
      c: gauge('app', '0', 7, 'cpu', 30),
    };
    const read = [gauge('app', '0', 2, 'cpu', 40), gauge('app', '0', 5, 'cpu', 50), gauge('app', '0', 8, 'cpu', 60)];
    const envelope$ = hot('  -(abc)', e);
    const replace$ = hot('   9ms f 2ms g 3ms w', {
      // [3, 6): 20 swapped for 50 → 10, 50, 30
      g: { appId: 'app', fromNs: ms(3), beforeNs: ms(6), envelopes: read },
      // before 6 (no fromNs) → 40, 50, 30 (the read's 60 at 8 ms is past beforeNs: ignored)
      w: { appId: 'app', beforeNs: ms(6), envelopes: read },
      f: { appId: 'app', fromNs: ms(9), beforeNs: ms(9), envelopes: read },
    });
    const flush$ = hot('     10ms a 3ms a 3ms a', { a: 'app' });
    const monitor$ = hot('   m', { m: monitors({ app: ['cpu'] }) });
    expectObservable(
      aggregateMetrics({ envelope$, monitor$, flush$, replace$ }, { ...base, statWindowSecs: 0.02, scheduler }),
      '^ 25ms !',
    ).toBe('10ms x 3ms y 3ms z', {
      // An empty range changes nothing: (10 + 20 + 30) / 3
      x: metric('app', 'cpu', 10, '20', '%'),
      y: metric('app', 'cpu', 14, '30', '%'),
      z: metric('app', 'cpu', 18, '40', '%'),
    });
  }));

test('takes the ceiling of the flat mean over every sample of every instance', () =>
  marbles(({ hot, expectObservable, scheduler }) => {
    const e = {
      a: gauge('app', '0', 1, 'cpu', 100),
      b: gauge('app', '1', 2, 'cpu', 200),
      c: gauge('app', '0', 3, 'cpu', 300),
      d: gauge('app', '1', 4, 'cpu', 401),
      f: gauge('neg', '0', 1, 'q', -3, 'u'),
      g: gauge('neg', '1', 1, 'q', -2, 'u'),
    };
    const envelope$ = hot('  -(abcdfg)-', e);
    const monitor$ = hot('   m----------', { m: monitors({ app: ['cpu'], neg: ['q'] }) });
    expectObservable(aggregateMetrics({ envelope$, monitor$ }, { ...base, scheduler }), '^ 10ms !').toBe('10ms (xy)', {
      x: metric('app', 'cpu', 10, '251', '%'),
      y: metric('neg', 'q', 10, '-2', 'u'),
    });
  }));

test('emits value "" and unit "" for a monitored type without envelopes', () =>
  marbles(({ hot, expectObservable, scheduler }) => {
    const envelope$ = hot('  -a--', { a: gauge('app', '0', 1, 'cpu', 50) });
    const monitor$ = hot('   m---', { m: monitors({ app: ['memoryused', 'queue_length'] }) });
    expectObservable(aggregateMetrics({ envelope$, monitor$ }, { ...base, scheduler }), '^ 10ms !').toBe('10ms (xy)', {
      x: empty('app', 'memoryused', 10),
      y: empty('app', 'queue_length', 10),
    });
  }));

test('follows monitor changes: drops removed apps, starts added ones empty, ignores unmonitored envelopes', () =>
  marbles(({ hot, expectObservable, scheduler }) => {
    const e = {
      a: gauge('one', '0', 2, 'cpu', 40),
      b: gauge('two', '0', 12, 'memory', 10 * 1048576, 'bytes'), // before `two` is monitored: not kept
      c: gauge('two', '0', 14, 'memory', 30 * 1048576, 'bytes'),
    };
    const envelope$ = hot('  --a--b----------c--------------', e);
    const monitor$ = hot('   m--------------n---------o-----', {
      m: monitors({ one: ['cpu'] }),
      n: monitors({ one: ['cpu'], two: ['memoryused'] }),
      o: monitors({ two: ['memoryused'] }),
    });
    expectObservable(aggregateMetrics({ envelope$, monitor$ }, { ...base, scheduler }), '^ 30ms !').toBe(
      '10ms x 9ms (yz) 6ms w',
      {
        x: metric('one', 'cpu', 10, '40', '%'),
        y: empty('one', 'cpu', 20),
        z: metric('two', 'memoryused', 20, '30', 'MB'),
        w: metric('two', 'memoryused', 30, '', ''),
      },
    );
  }));

test('ticks first one full interval after subscription', () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const envelope$ = hot('  ----------------', {});
    const monitor$ = cold('  m---------------', { m: monitors({ app: ['cpu'] }) });
    expectObservable(
      aggregateMetrics({ envelope$: envelope$ as never, monitor$ }, { ...base, scheduler }),
      '---^ 25ms !',
    ).toBe('--- 10ms x 9ms y', {
      x: empty('app', 'cpu', 13),
      y: empty('app', 'cpu', 23),
    });
  }));

test('counts a re-delivered envelope once and sorts late ones in', () =>
  marbles(({ hot, expectObservable, scheduler }) => {
    const e = {
      a: gauge('app', '0', 6, 'cpu', 30),
      b: gauge('app', '0', 2, 'cpu', 10),
      c: gauge('app', '0', 6, 'cpu', 30),
      d: gauge('app', '1', 6, 'cpu', 60),
    };
    const envelope$ = hot('  -a-b-c-d---', e);
    const monitor$ = hot('   m----------', { m: monitors({ app: ['cpu'] }) });
    // (30 + 10 + 60) / 3; counting the copy would give ceil(130 / 4) = 33
    expectObservable(aggregateMetrics({ envelope$, monitor$ }, { ...base, scheduler }), '^ 10ms !').toBe('10ms x', {
      x: metric('app', 'cpu', 10, '34', '%'),
    });
  }));

test('keeps at most maxEnvelopesPerApp envelopes, dropping the oldest, and says so', () => {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ level: 'warn', destination });
  marbles(({ hot, expectObservable, scheduler }) => {
    const e = {
      a: gauge('app', '0', 1, 'cpu', 1000),
      b: gauge('app', '0', 2, 'cpu', 10),
      c: gauge('app', '0', 3, 'cpu', 20),
    };
    const envelope$ = hot('  -abc-------', e);
    const monitor$ = hot('   m----------', { m: monitors({ app: ['cpu'] }) });
    expectObservable(
      aggregateMetrics({ envelope$, monitor$ }, { ...base, maxEnvelopesPerApp: 2, logger, scheduler }),
      '^ 10ms !',
    ).toBe('10ms x', { x: metric('app', 'cpu', 10, '15', '%') });
  });
  assert.equal(
    lines.map((l) => [l['appId'], l['evicted']]),
    [['app', 1]],
  );
});

test('computes throughput and responsetime from Client http timers over W = interval seconds when local', () =>
  marbles(({ hot, expectObservable, scheduler }) => {
    const e = {
      a: httpTimer('app', '0', 100, 20),
      b: httpTimer('app', '0', 400, 60),
      c: httpTimer('app', '1', 700, 30),
      s: httpTimer('app', '0', 500, 90, 'Server'), // the other leg of a request: not counted
      o: httpTimer('app', '0', 1500, 10), // after the first window
    };
    const envelope$ = hot('  -(abcso)-', e);
    const monitor$ = hot('   m--------', { m: monitors({ app: ['throughput', 'responsetime'] }) });
    const deps = { ...base, intervalMs: 1000, statWindowSecs: 120, localHttpMetrics: true, scheduler };
    expectObservable(aggregateMetrics({ envelope$, monitor$ }, deps), '^ 1999ms !').toBe('1000ms (xy)', {
      // i0: 2 requests / 1 s, i1: 1 → ceil(3 / 2). Each request is its own series (request_id tag), so
      // i0's response time is the mean of its series' maxima, (20 + 60) / 2, and the app's (40 + 30) / 2.
      x: metric('app', 'throughput', 1000, '2', 'rps'),
      y: metric('app', 'responsetime', 1000, '35', 'ms'),
    });
  }));

test('skips throughput and responsetime unless computed locally', () =>
  marbles(({ hot, expectObservable, scheduler }) => {
    const envelope$ = hot('  -a-', { a: httpTimer('app', '0', 1, 1) });
    const monitor$ = hot('   m--', { m: monitors({ app: ['throughput', 'cpu'] }) });
    expectObservable(aggregateMetrics({ envelope$, monitor$ }, { ...base, scheduler }), '^ 10ms !').toBe('10ms x', {
      x: empty('app', 'cpu', 10),
    });
  }));

test('skips a metric that cannot be computed and still emits the others of the tick', () => {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  marbles(({ hot, expectObservable, scheduler }) => {
    const envelope$ = hot('  -(ab)-', {
      a: httpTimer('app', 'not-a-number', 100, 5),
      b: gauge('app', '0', 100, 'cpu', 7),
    });
    const monitor$ = hot('   m-----', { m: monitors({ app: ['throughput', 'cpu'] }) });
    const deps = {
      ...base,
      intervalMs: 1000,
      statWindowSecs: 1,
      localHttpMetrics: true,
      logger: createLogger({ level: 'warn', destination }),
      scheduler,
    };
    expectObservable(aggregateMetrics({ envelope$, monitor$ }, deps), '^ 1000ms !').toBe('1000ms x', {
      x: metric('app', 'cpu', 1000, '7', '%'),
    });
  });
  assert.equal(
    lines.map((l) => l['metricType']),
    ['throughput'],
  );
  assert.match(String(lines[0]?.['error']), /instance_id/);
});

test('completes when the envelope stream completes', () =>
  marbles(({ hot, expectObservable, scheduler }) => {
    const envelope$ = hot<Envelope>('  ------------|');
    const monitor$ = hot('   m---|', { m: monitors({ app: ['cpu'] }) });
    expectObservable(aggregateMetrics({ envelope$, monitor$ }, { ...base, scheduler })).toBe('10ms x-|', {
      x: empty('app', 'cpu', 10),
    });
  }));

test('raises an error of either source', () =>
  marbles(({ hot, expectObservable, scheduler }) => {
    const monitor$ = hot('   m---', { m: monitors({ app: ['cpu'] }) });
    expectObservable(
      aggregateMetrics(
        { envelope$: hot<Envelope>('--#', {}, new Error('stream lost')), monitor$ },
        { ...base, scheduler },
      ),
    ).toBe('--#', {}, new Error('stream lost'));
    expectObservable(
      aggregateMetrics(
        { envelope$: hot<Envelope>('-'), monitor$: hot('---#', {}, new Error('policies lost')) },
        { ...base, scheduler },
      ),
    ).toBe('---#', {}, new Error('policies lost'));
  }));

test('unsubscribes from both sources and stops ticking', () =>
  marbles(({ hot, expectObservable, expectSubscriptions, scheduler }) => {
    const envelope$ = hot<Envelope>('-----------------------');
    const monitor$ = hot('   m----------------------', { m: monitors({ app: ['cpu'] }) });
    expectObservable(aggregateMetrics({ envelope$, monitor$ }, { ...base, scheduler }), '^ 14ms !').toBe('10ms x', {
      x: empty('app', 'cpu', 10),
    });
    expectSubscriptions(envelope$.subscriptions).toBe('^ 14ms !');
    expectSubscriptions(monitor$.subscriptions).toBe('^ 14ms !');
  }));

test('rejects settings that cannot work', () => {
  const sources = { envelope$: undefined as never, monitor$: undefined as never };
  const scheduler = undefined as never;
  assert.throws(
    () => aggregateMetrics(sources, { ...base, statWindowSecs: 0, scheduler }),
    /statWindowSecs must be > 0/,
  );
  assert.throws(() => aggregateMetrics(sources, { ...base, intervalMs: -1, scheduler }), /intervalMs must be > 0/);
  assert.throws(
    () => aggregateMetrics(sources, { ...base, maxEnvelopesPerApp: 0, scheduler }),
    /maxEnvelopesPerApp must be a positive integer/,
  );
});

test.run();
