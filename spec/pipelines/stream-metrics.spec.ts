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
        return `backfill ${e.appId} <${e.beforeNs}`;
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
  assert.ok(events.includes(`1600 backfill a <${ns(1600)}`));
  assert.ok(events.includes('2000 refresh a'));
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
membership.run();
