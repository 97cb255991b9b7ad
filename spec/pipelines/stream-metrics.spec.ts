import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BehaviorSubject, defer, finalize, interval, Observable, of, Subject, take, throwError, timer } from 'rxjs';
import { map } from 'rxjs/operators';
import { VirtualTimeScheduler } from 'rxjs';
import { streamMetrics } from '../../pipelines/stream-metrics.ts';
import type { StreamMetricsDeps } from '../../pipelines/stream-metrics.ts';
import type { CollectEvent } from '../../pipelines/collect-metrics.ts';
import type { Envelope, EnvelopeRead, StreamItem } from '../../lib/core/model/envelope.ts';
import type { Monitors } from '../../lib/core/model/policy.ts';

const ns = (ms: number): bigint => BigInt(ms) * 1_000_000n;
const monitors = (entries: Record<string, string[]>): Monitors => new Map(Object.entries(entries));
const gauge = (appId: string, ts: bigint, metrics: Record<string, number>): Envelope => ({
  timestamp: ts,
  sourceId: appId,
  instanceId: '0',
  tags: {},
  gauge: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, { unit: 'x', value: v }])),
});

interface FakeStream {
  readonly sourceIds: readonly string[];
  readonly items: Subject<StreamItem>;
  closed: boolean;
}

interface Setup {
  readonly monitor$?: BehaviorSubject<Monitors>;
  readonly ticks?: number;
  /** How a stream answers when opened (default: open at once). */
  readonly opens?: (n: number) => 'open' | Error;
  readonly read?: (
    appId: string,
    start: bigint,
    end: bigint,
    scheduler: VirtualTimeScheduler,
  ) => Observable<EnvelopeRead>;
  readonly deps?: Partial<StreamMetricsDeps>;
}

/** The pipeline over fake ports in virtual time: ticks every 1000 ms; events are logged with their instant. */
const run = (setup: Setup, script: (at: (ms: number, work: () => void) => void, streams: FakeStream[]) => void) => {
  const scheduler = new VirtualTimeScheduler(undefined, 60_000);
  const streams: FakeStream[] = [];
  const reads: string[] = [];
  const deps: StreamMetricsDeps = {
    scheduler,
    statWindowSecs: 2,
    sourcesPerConnection: 2,
    concurrency: 10,
    reconnect: { initialMs: 100, maxMs: 400 },
    streamEnvelopes: (sourceIds) =>
      defer(() => {
        const answer = setup.opens?.(streams.length + 1) ?? 'open';
        const stream: FakeStream = { sourceIds, items: new Subject<StreamItem>(), closed: false };
        streams.push(stream);
        if (answer instanceof Error) return throwError(() => answer);
        return new Observable<StreamItem>((subscriber) => {
          const sub = stream.items.subscribe(subscriber);
          subscriber.next({ kind: 'open' });
          return sub;
        }).pipe(finalize(() => (stream.closed = true)));
      }),
    readEnvelopes: (appId, nameFilter, start, end) => {
      reads.push(`${scheduler.now()} ${appId} ${nameFilter} [${start}, ${end})`);
      return (
        setup.read?.(appId, start, end, scheduler) ??
        timer(10, scheduler).pipe(map(() => ({ envelopes: [], rejected: [] })))
      );
    },
    ...setup.deps,
  };
  const monitor$ = setup.monitor$ ?? new BehaviorSubject(monitors({ a: ['cpu'], b: ['memoryutil'], c: ['cpu'] }));
  const events: string[] = [];
  const label = (e: CollectEvent): string => {
    switch (e.kind) {
      case 'refresh':
        return `refresh ${e.appIds.join(',')}`;
      case 'backfill':
        return `backfill ${e.appId}${e.fromNs === undefined ? '' : ` from ${e.fromNs}`} <${e.beforeNs}`;
      case 'streamed':
        return `streamed ${e.envelopes.map((x) => `${x.sourceId}@${x.timestamp}:${Object.keys(x.gauge ?? {}).join('+')}`).join(' ')} rejected ${e.rejected}`;
      case 'failed':
        return `failed ${e.appId}: ${e.error}`;
      case 'stream':
        return `stream ${e.event.kind} ${e.event.connection}${'retryInMs' in e.event ? ` retry ${e.event.retryInMs}` : ''}`;
      default:
        return e.kind;
    }
  };
  const tick$ = interval(1000, scheduler).pipe(take(setup.ticks ?? 3));
  const at = (ms: number, work: () => void) => scheduler.schedule(work, ms);
  script(at, streams);
  let completed = false;
  streamMetrics({ tick$, monitor$ }, deps).subscribe({
    next: (e) => events.push(`${scheduler.now()} ${label(e)}`),
    complete: () => {
      completed = true;
    },
  });
  scheduler.flush();
  return { events, reads, streams, completed };
};

const basics = suite('streamMetrics: streams, backfill, refresh');

basics('splits apps over connections, backfills each up to the cutoff, refreshes them every tick', () => {
  const { events, reads, streams, completed } = run({}, () => undefined);
  assert.equal(
    streams.map((s) => s.sourceIds),
    [['a', 'b'], ['c']],
  );
  assert.equal(reads, [
    '0 a cpu [-2000000000, 0)',
    '0 b memory|memory_quota [-2000000000, 0)',
    '0 c cpu [-2000000000, 0)',
  ]);
  assert.equal(events, [
    '0 stream opened 1',
    '0 stream opened 2',
    '10 backfill a <0',
    '10 backfill b <0',
    '10 backfill c <0',
    '1000 refresh a,b,c',
    '2000 refresh a,b,c',
    '3000 refresh a,b,c',
  ]);
  assert.ok(completed);
  assert.ok(streams.every((s) => s.closed));
});

basics('passes stream envelopes from the cutoff on, cut to the gauges the rules read', () => {
  const { events } = run({ ticks: 1 }, (at, streams) => {
    at(500, () => {
      streams[0]?.items.next({
        kind: 'batch',
        envelopes: [
          gauge('a', ns(400), { cpu: 1, memory: 2, disk: 3 }),
          gauge('b', ns(400), { cpu: 1, memory: 2, memory_quota: 4 }),
          gauge('a', ns(0) - 1n, { cpu: 9 }),
          gauge('a', ns(450), { disk: 3 }),
          gauge('zzz', ns(450), { cpu: 3 }),
        ],
        rejected: [{ index: 5, reason: 'bad' }],
      });
      streams[0]?.items.next({ kind: 'malformed', reason: 'stream data is not JSON' });
    });
  });
  assert.equal(events.slice(5, 7), [
    `500 streamed a@${ns(400)}:cpu b@${ns(400)}:memory+memory_quota rejected 1`,
    '500 stream malformed 1',
  ]);
});

const reconnects = suite('streamMetrics: closing, failures and reconnects');

reconnects('reopens at once after closing, backfills again, and refreshes a tick that came in between', () => {
  const { events, reads } = run(
    {
      ticks: 2,
      monitor$: new BehaviorSubject(monitors({ a: ['cpu'] })),
      read: (_app, _start, end, scheduler) =>
        timer(end === 0n ? 10 : 300, scheduler).pipe(map(() => ({ envelopes: [], rejected: [] }))),
    },
    (at, streams) => {
      at(900, () => {
        streams[0]?.items.next({ kind: 'closing', reason: 'closing due to stream timeout' });
        streams[0]?.items.complete();
      });
    },
  );
  assert.ok(reads.some((r) => r.startsWith('900 a cpu')));
  assert.ok(events.includes('900 stream ended 1 retry 0'));
  assert.ok(events.includes('900 stream opened 1'));
  // The tick at 1000 found a waiting for its backfill: the refresh follows the backfill.
  assert.not.ok(events.includes('1000 refresh a'));
  assert.ok(events.includes('1200 refresh a'));
  assert.not.ok(events.some((e) => e.includes('failed')));
  assert.ok(events.includes('2000 refresh a'));
});

reconnects('a failing stream reports each app failed per tick and retries with back-off until it opens', () => {
  const { events, streams } = run(
    {
      ticks: 3,
      monitor$: new BehaviorSubject(monitors({ a: ['cpu'] })),
      opens: (n) =>
        n <= 4 ? new Error('RLP gateway GET /v2/read (1 source id) answered 503: streaming_unavailable') : 'open',
    },
    () => undefined,
  );
  assert.equal(
    events.filter((e) => e.includes('stream failed')),
    [
      '0 stream failed 1 retry 100',
      '100 stream failed 1 retry 200',
      '300 stream failed 1 retry 400',
      '700 stream failed 1 retry 400',
    ],
  );
  assert.ok(
    events.includes(
      '1000 failed a: no log stream: RLP gateway GET /v2/read (1 source id) answered 503: streaming_unavailable',
    ),
  );
  assert.is(streams.length, 5);
  assert.ok(events.includes('1100 stream opened 1'));
  assert.ok(events.includes('2000 refresh a'));
});

reconnects('an end without closing reopens after the back-off; a failed backfill is reported and tried again', () => {
  let reads = 0;
  const { events } = run(
    {
      ticks: 3,
      monitor$: new BehaviorSubject(monitors({ a: ['cpu'] })),
      read: () => {
        reads += 1;
        return reads === 1
          ? throwError(() => new Error('unexpected status code 503 from log-cache'))
          : of({ envelopes: [], rejected: [] });
      },
    },
    (at, streams) => at(1500, () => streams[0]?.items.complete()),
  );
  assert.ok(events.includes('0 failed a: backfill read failed: unexpected status code 503 from log-cache'));
  assert.ok(events.includes('1000 backfill a <0'));
  assert.ok(events.includes('1000 refresh a'));
  assert.ok(events.includes('1500 stream ended 1 retry 100'));
  assert.ok(events.includes('1600 stream opened 1'));
  // Its window was complete up to the cutoff of the stream that ended: the reopen fills the gap.
  assert.ok(events.includes(`1600 backfill a from 0 <${ns(1600)}`));
  assert.ok(events.includes('2000 refresh a'));
});

const gaps = suite('streamMetrics: a reopen reads only the gap');

const closing = (stream: () => FakeStream | undefined) => () => {
  stream()?.items.next({ kind: 'closing', reason: 'closing due to stream timeout' });
  stream()?.items.complete();
};
const batchOf = (appId: string, atMs: number): StreamItem => ({
  kind: 'batch',
  envelopes: [gauge(appId, ns(atMs), { cpu: 1 })],
  rejected: [],
});

gaps('reads from the last batch less the margin, floored to the microsecond, and says so in the event', () => {
  const { events, reads } = run(
    { ticks: 2, monitor$: new BehaviorSubject(monitors({ a: ['cpu'] })), deps: { resumeMarginSecs: 0.1 } },
    (at, streams) => {
      at(300, () => streams[0]?.items.next(batchOf('a', 290)));
      at(550, () => streams[0]?.items.next(batchOf('a', 540)));
      at(
        900,
        closing(() => streams[0]),
      );
    },
  );
  assert.equal(reads, ['0 a cpu [-2000000000, 0)', `900 a cpu [${ns(450)}, ${ns(900)})`]);
  assert.ok(events.includes('10 backfill a <0'));
  assert.ok(events.includes(`910 backfill a from ${ns(450)} <${ns(900)}`));
  assert.ok(events.includes('1000 refresh a'));
});

gaps('never reads from before the cutoff the ended stream took over at', () => {
  const { reads } = run(
    { ticks: 2, monitor$: new BehaviorSubject(monitors({ a: ['cpu'] })), deps: { resumeMarginSecs: 5 } },
    (at, streams) => {
      at(300, () => streams[0]?.items.next(batchOf('a', 290)));
      at(
        900,
        closing(() => streams[0]),
      );
    },
  );
  assert.equal(reads, ['0 a cpu [-2000000000, 0)', `900 a cpu [0, ${ns(900)})`]);
});

gaps('reads the whole window when the gap reaches past it', () => {
  const { events, reads } = run(
    { ticks: 3, monitor$: new BehaviorSubject(monitors({ a: ['cpu'] })), deps: { resumeMarginSecs: 0.1 } },
    (at, streams) =>
      at(
        2500,
        closing(() => streams[0]),
      ),
  );
  assert.equal(reads, ['0 a cpu [-2000000000, 0)', `2500 a cpu [${ns(500)}, ${ns(2500)})`]);
  assert.ok(events.includes(`2510 backfill a <${ns(2500)}`));
});

gaps('an app not ready on the ended stream gets its whole window; a failed gap fill is tried again alike', () => {
  let bReads = 0;
  let aGapReads = 0;
  const { events, reads } = run(
    {
      ticks: 3,
      monitor$: new BehaviorSubject(monitors({ a: ['cpu'], b: ['cpu'] })),
      deps: { resumeMarginSecs: 0.1 },
      // b's first backfill fails; a's gap fill fails once.
      read: (appId, start, _end, scheduler) => {
        const fails = (appId === 'b' && bReads++ === 0) || (appId === 'a' && start > 0n && aGapReads++ === 0);
        return fails
          ? throwError(() => new Error('unexpected status code 503 from log-cache'))
          : timer(10, scheduler).pipe(map(() => ({ envelopes: [], rejected: [] })));
      },
    },
    (at, streams) => {
      at(300, () => streams[0]?.items.next(batchOf('a', 290)));
      at(
        600,
        closing(() => streams[0]),
      );
    },
  );
  assert.equal(reads.slice(0, 4), [
    '0 a cpu [-2000000000, 0)',
    '0 b cpu [-2000000000, 0)',
    `600 a cpu [${ns(200)}, ${ns(600)})`,
    `600 b cpu [${ns(-1400)}, ${ns(600)})`,
  ]);
  assert.ok(events.includes(`600 failed a: backfill read failed: unexpected status code 503 from log-cache`));
  assert.ok(reads.includes(`1000 a cpu [${ns(200)}, ${ns(600)})`));
  assert.ok(events.includes(`1010 backfill a from ${ns(200)} <${ns(600)}`));
  assert.ok(events.includes('1010 refresh a'));
  assert.ok(events.includes('2000 refresh a,b'));
});

gaps('apps staying on a connection reopened with new apps fill the gap; the new ones read their window', () => {
  const monitor$ = new BehaviorSubject(monitors({ a: ['cpu'] }));
  const { reads } = run({ monitor$, ticks: 1, deps: { resumeMarginSecs: 0.1 } }, (at, streams) => {
    at(300, () => streams[0]?.items.next(batchOf('a', 290)));
    at(500, () => monitor$.next(monitors({ a: ['cpu'], b: ['cpu'] })));
  });
  assert.equal(reads, [
    '0 a cpu [-2000000000, 0)',
    `500 a cpu [${ns(200)}, ${ns(500)})`,
    `500 b cpu [${ns(-1500)}, ${ns(500)})`,
  ]);
});

const renewals = suite('streamMetrics: renewing streams before the gateway ends them');

/** App a alone over three ticks, its streams renewed after 1.5 s and retired 0.1 s after a takeover. */
const renewing = (setup: Partial<Setup> = {}): Setup => ({
  ticks: 3,
  monitor$: new BehaviorSubject(monitors({ a: ['cpu'] })),
  deps: { resumeMarginSecs: 0.1, renewAfterSecs: 1.5 },
  ...setup,
});
const secondOpenFails = (n: number): 'open' | Error =>
  n === 2 ? new Error('RLP gateway GET /v2/read (1 source id) answered 503') : 'open';

renewals(
  'a tick renews an old stream: the new one takes over without a read, the old one closes after the margin',
  () => {
    const { events, reads, streams } = run(renewing(), (at, opened) => {
      at(2005, () => opened[0]?.items.next(batchOf('a', 1990)));
      at(2020, () => {
        opened[0]?.items.next(batchOf('a', 2010));
        opened[1]?.items.next(batchOf('a', 2010));
        opened[1]?.items.next(batchOf('a', 1995));
      });
      at(2099, () => assert.not.ok(opened[0]?.closed, 'the old stream is still open within the margin'));
    });
    assert.equal(
      streams.map((s) => [s.sourceIds, s.closed]),
      [
        [['a'], true],
        [['a'], true],
      ],
    );
    assert.equal(reads, ['0 a cpu [-2000000000, 0)']);
    const streamed = events.filter((e) => e.includes('streamed'));
    assert.equal(streamed, [
      `2005 streamed a@${ns(1990)}:cpu rejected 0`,
      `2020 streamed a@${ns(2010)}:cpu rejected 0`,
    ]);
    assert.ok(events.includes('2000 stream opened 2'));
    assert.ok(events.includes('2000 refresh a'));
    assert.ok(events.includes('3000 refresh a'));
    assert.not.ok(events.some((e) => e.includes('ended') || e.includes('failed')));
  },
);

renewals('an old stream silent since before the takeover: its apps read what it may have missed', () => {
  const { events, reads } = run(renewing(), (at, opened) => at(1800, () => opened[0]?.items.next(batchOf('a', 1790))));
  assert.equal(reads, ['0 a cpu [-2000000000, 0)', `2100 a cpu [${ns(1700)}, ${ns(2000)})`]);
  assert.ok(events.includes(`2110 backfill a from ${ns(1700)} <${ns(2000)}`));
  assert.ok(events.includes('3000 refresh a'));
});

renewals('a successor that fails to open is retried with the same apps while the old stream serves them', () => {
  const { events, reads, streams } = run(renewing({ opens: secondOpenFails }), (at, opened) => {
    at(2050, () => opened[0]?.items.next(batchOf('a', 2040)));
    // After the takeover at 2100: the old stream still delivers, its envelope is the new one's.
    at(2150, () => opened[0]?.items.next(batchOf('a', 2140)));
  });
  assert.not.ok(events.some((e) => e.includes(`a@${ns(2140)}`)));
  assert.equal(
    streams.map((s) => s.sourceIds),
    [['a'], ['a'], ['a']],
  );
  assert.equal(reads, ['0 a cpu [-2000000000, 0)']);
  assert.ok(events.includes(`2050 streamed a@${ns(2040)}:cpu rejected 0`));
  assert.ok(events.includes('2100 stream opened 2'));
  assert.ok(streams[0]?.closed);
  assert.ok(events.includes('3000 refresh a'));
});

renewals('an old stream that ends before its successor opened: the successor fills the gap', () => {
  const { events, reads, streams } = run(renewing({ opens: secondOpenFails }), (at, opened) => {
    at(1990, () => opened[0]?.items.next(batchOf('a', 1985)));
    at(
      2050,
      closing(() => opened[0]),
    );
  });
  assert.is(streams.length, 3);
  assert.equal(reads, ['0 a cpu [-2000000000, 0)', `2100 a cpu [${ns(1890)}, ${ns(2100)})`]);
  assert.ok(events.includes(`2110 backfill a from ${ns(1890)} <${ns(2100)}`));
  assert.ok(events.includes('3000 refresh a'));
});

const membership = suite('streamMetrics: the monitored set changes');

membership('new apps fill the newest connection (reopened), then new ones; a connection left empty closes', () => {
  const monitor$ = new BehaviorSubject(monitors({ a: ['cpu'] }));
  const { events, streams } = run({ monitor$, ticks: 3 }, (at) => {
    at(500, () => monitor$.next(monitors({ a: ['cpu'], b: ['cpu'], c: ['memoryused'], t: ['throughput'] })));
    at(1500, () => monitor$.next(monitors({ a: ['cpu'], b: ['cpu'] })));
  });
  assert.equal(
    streams.map((s) => [s.sourceIds, s.closed]),
    [
      [['a'], true],
      [['a', 'b'], true],
      [['c'], true],
    ],
  );
  assert.ok(streams[2]?.closed);
  assert.ok(events.includes('1000 refresh a,b,c'));
  assert.ok(events.includes('2000 refresh a,b'));
  // The app with PromQL types alone is not streamed.
  assert.not.ok(events.some((e) => / t\b/.test(e)));
});

membership('a stream reopened after closing leaves out the apps that left', () => {
  const monitor$ = new BehaviorSubject(monitors({ a: ['cpu'], b: ['cpu'] }));
  const { streams } = run({ monitor$, ticks: 2 }, (at, opened) => {
    at(300, () => monitor$.next(monitors({ a: ['cpu'] })));
    at(600, () => {
      opened[0]?.items.next({ kind: 'closing', reason: 'closing due to stream timeout' });
      opened[0]?.items.complete();
    });
  });
  assert.equal(
    streams.map((s) => s.sourceIds),
    [['a', 'b'], ['a']],
  );
});

membership('the streams are given the gauge names some app reads, kept current as the apps change', () => {
  const monitor$ = new BehaviorSubject(monitors({ a: ['cpu'], b: ['memoryutil'] }));
  const given: ReadonlySet<string>[] = [];
  const seen: string[][] = [];
  const scheduler = new VirtualTimeScheduler(undefined, 10_000);
  streamMetrics(
    { tick$: timer(5000, scheduler), monitor$ },
    {
      scheduler,
      statWindowSecs: 2,
      sourcesPerConnection: 10,
      concurrency: 10,
      reconnect: { initialMs: 100, maxMs: 400 },
      streamEnvelopes: (_ids, options) => {
        if (options?.gaugeNames !== undefined) given.push(options.gaugeNames);
        return of<StreamItem>({ kind: 'open' });
      },
      readEnvelopes: () => of({ envelopes: [], rejected: [] }),
    },
  ).subscribe();
  scheduler.schedule(() => {
    seen.push([...given[0]!].sort());
    monitor$.next(monitors({ a: ['cpu', 'cpuutil', 'throughput'] }));
    seen.push([...given[0]!].sort());
  }, 1000);
  scheduler.flush();
  assert.equal(seen, [
    ['cpu', 'memory', 'memory_quota'],
    ['cpu', 'cpu_entitlement'],
  ]);
});

basics.run();
reconnects.run();
gaps.run();
renewals.run();
membership.run();
