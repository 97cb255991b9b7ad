import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BehaviorSubject, EMPTY, interval, Observable, of, Subject, share, take, VirtualTimeScheduler } from 'rxjs';
import { filter, map, mergeMap, tap } from 'rxjs/operators';
import { aggregateMetrics } from '../../pipelines/aggregate-metrics.ts';
import { collectMetrics } from '../../pipelines/collect-metrics.ts';
import type { CollectEvent } from '../../pipelines/collect-metrics.ts';
import { streamMetrics } from '../../pipelines/stream-metrics.ts';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import type { Envelope, StreamItem } from '../../lib/core/model/envelope.ts';
import type { Monitors } from '../../lib/core/model/policy.ts';
import type { ReadEnvelopes, StreamEnvelopes } from '../../lib/core/model/ports.ts';
import { createEnvelopeStore } from '../../lib/tools/simulation/logcache-store.ts';

const MIB = 1024 * 1024;
const ns = (ms: number): bigint => BigInt(ms) * 1_000_000n;
const MONITORS: Monitors = new Map([
  ['a', ['cpu', 'memoryutil', 'memoryused']],
  ['b', ['memoryutil', 'disk']],
]);

/** One emission of one instance, combined as the stream carries it (nanoseconds, every metric in one envelope). */
const emission = (appId: string, instance: number, atMs: number): Envelope => {
  const k = atMs / 50 + instance * 7 + (appId === 'b' ? 3 : 0);
  return {
    timestamp: ns(atMs) + 123_789n,
    sourceId: appId,
    instanceId: String(instance),
    tags: { origin: 'rep', process_type: 'web' },
    gauge: {
      cpu: { unit: 'percentage', value: 10 + (k % 13) * 3.7 },
      memory: { unit: 'bytes', value: (200 + (k % 17) * 11) * MIB },
      memory_quota: { unit: 'bytes', value: 1024 * MIB },
      disk: { unit: 'bytes', value: (100 + (k % 5)) * MIB },
      disk_quota: { unit: 'bytes', value: 1024 * MIB },
      cpu_entitlement: { unit: 'percentage', value: 12.5 },
    },
  };
};

/** The same emission as log-cache serves it: one envelope per metric, the timestamp cut to microseconds. */
const split = (e: Envelope): Envelope[] =>
  Object.entries(e.gauge ?? {}).map(([name, value]) => ({
    ...e,
    timestamp: e.timestamp - (e.timestamp % 1000n),
    gauge: { [name]: value },
  }));

interface World {
  readonly scheduler: VirtualTimeScheduler;
  readonly readEnvelopes: ReadEnvelopes;
  readonly streamEnvelopes: StreamEnvelopes;
  /** Cuts every open stream (`closing` first when asked). */
  cut(closing: boolean): void;
  fail(error: Error): void;
  streamsOpened(): number;
}

/**
 * Apps a and b, two instances each, emitting every 300 ms (instances 37 ms apart): every emission
 * goes to log-cache (split) and to the streams open at that instant (combined).
 */
const world = (): World => {
  const scheduler = new VirtualTimeScheduler(undefined, 100_000);
  const store = createEnvelopeStore();
  const open = new Set<{ ids: ReadonlySet<string>; items: Subject<StreamItem> }>();
  let opened = 0;
  // History from before the start is only in log-cache: the first backfill must bring it.
  for (let at = -2_950; at < 0; at += 300)
    for (const appId of ['a', 'b'])
      for (const instance of [0, 1]) store.add(...split(emission(appId, instance, at + instance * 37)));
  for (let at = 50; at < 12_000; at += 300) {
    for (const appId of ['a', 'b']) {
      for (const instance of [0, 1]) {
        scheduler.schedule(
          () => {
            const e = emission(appId, instance, at + instance * 37);
            store.add(...split(e));
            for (const s of open) if (s.ids.has(appId)) s.items.next({ kind: 'batch', envelopes: [e], rejected: [] });
          },
          at + instance * 37,
        );
      }
    }
  }
  return {
    scheduler,
    readEnvelopes: (appId, nameFilter, start, end) =>
      of({
        envelopes: store.query(appId, start, end, new Set(['GAUGE']), new RegExp(nameFilter), 100_000),
        rejected: [],
      }),
    streamEnvelopes: (sourceIds) =>
      new Observable<StreamItem>((subscriber) => {
        const stream = { ids: new Set(sourceIds), items: new Subject<StreamItem>() };
        open.add(stream);
        opened += 1;
        const sub = stream.items.subscribe(subscriber);
        subscriber.next({ kind: 'open' });
        return () => {
          open.delete(stream);
          sub.unsubscribe();
        };
      }),
    cut: (closing) => {
      for (const s of [...open]) {
        open.delete(s);
        if (closing) s.items.next({ kind: 'closing', reason: 'closing due to stream timeout' });
        s.items.complete();
      }
    },
    fail: (error) => {
      for (const s of [...open]) {
        open.delete(s);
        s.items.error(error);
      }
    },
    streamsOpened: () => opened,
  };
};

const TICKS = 10;
const WINDOW_SECS = 2;

const polled = (w: World): Observable<AppMetric> => {
  const monitor$ = new BehaviorSubject(MONITORS);
  const collect$ = collectMetrics(
    { tick$: interval(1000, w.scheduler).pipe(take(TICKS)), monitor$ },
    {
      scheduler: w.scheduler,
      readEnvelopes: w.readEnvelopes,
      queryPromQl: () => EMPTY,
      statWindowSecs: WINDOW_SECS,
      concurrency: 10,
    },
  ).pipe(share());
  const read$ = collect$.pipe(filter((e): e is Extract<CollectEvent, { kind: 'envelopes' }> => e.kind === 'envelopes'));
  return aggregateMetrics(
    { envelope$: read$.pipe(mergeMap((e) => e.envelopes)), flush$: read$.pipe(map((e) => e.appId)), monitor$ },
    { scheduler: w.scheduler, statWindowSecs: WINDOW_SECS, intervalMs: 1000, localHttpMetrics: false },
  );
};

/** The streaming collection, shared; `replace` false feeds backfills as plain envelopes instead of replacing. */
const streamed = (
  w: World,
  events: CollectEvent[],
  replace = true,
  resumeMarginSecs?: number,
  renewAfterSecs?: number,
): Observable<AppMetric> => {
  const monitor$ = new BehaviorSubject(MONITORS);
  const collect$ = streamMetrics(
    { tick$: interval(1000, w.scheduler).pipe(take(TICKS)), monitor$ },
    {
      scheduler: w.scheduler,
      streamEnvelopes: w.streamEnvelopes,
      readEnvelopes: w.readEnvelopes,
      statWindowSecs: WINDOW_SECS,
      sourcesPerConnection: 1,
      concurrency: 10,
      reconnect: { initialMs: 150, maxMs: 150 },
      resumeMarginSecs,
      renewAfterSecs,
    },
  ).pipe(
    tap((e) => events.push(e)),
    share(),
  );
  const of_ = <K extends CollectEvent['kind']>(kind: K) =>
    collect$.pipe(filter((e): e is Extract<CollectEvent, { kind: K }> => e.kind === kind));
  return aggregateMetrics(
    {
      envelope$: replace
        ? of_('streamed').pipe(mergeMap((e) => e.envelopes))
        : collect$.pipe(mergeMap((e) => (e.kind === 'streamed' || e.kind === 'backfill' ? e.envelopes : []))),
      flush$: of_('refresh').pipe(mergeMap((e) => e.appIds)),
      replace$: replace ? of_('backfill') : undefined,
      monitor$,
    },
    { scheduler: w.scheduler, statWindowSecs: WINDOW_SECS, intervalMs: 1000, localHttpMetrics: false },
  );
};

const key = (m: AppMetric): string => `${m.timestamp / 1_000_000n} ${m.appId} ${m.name}`;

const compare = suite('streaming and polling on the same envelopes');

compare('give the same app metrics, through a failure, an unannounced end and a closing', () => {
  const w = world();
  const viaReads: AppMetric[] = [];
  const viaStreams: AppMetric[] = [];
  const events: CollectEvent[] = [];
  // Disturbances between ticks, each with emissions in the gap the backfill must cover.
  w.scheduler.schedule(() => w.fail(new Error('RLP gateway GET /v2/read broke')), 2_340);
  w.scheduler.schedule(() => w.cut(false), 5_500);
  w.scheduler.schedule(() => w.cut(true), 7_080);
  polled(w).subscribe((m) => viaReads.push(m));
  streamed(w, events).subscribe((m) => viaStreams.push(m));
  w.scheduler.flush();

  assert.is(viaReads.length, TICKS * 5);
  assert.equal(viaStreams.map(key).sort(), viaReads.map(key).sort());
  const byKey = new Map(viaReads.map((m) => [key(m), m]));
  for (const m of viaStreams) assert.equal(m, byKey.get(key(m)), key(m));
  // Every value differs from tick to tick, so a missed or doubled emission would show.
  assert.ok(new Set(viaReads.filter((m) => m.name === 'cpu').map((m) => m.value)).size > 3);
  assert.is(w.streamsOpened(), 2 + 2 * 3);
  assert.not.ok(events.some((e) => e.kind === 'failed'));
  assert.is(events.filter((e) => e.kind === 'backfill').length, 2 * 4);
});

compare('a reopen that reads only the gap gives the same app metrics, whatever the margin', () => {
  for (const margin of [0, 0.1, 0.7]) {
    const w = world();
    const viaReads: AppMetric[] = [];
    const viaStreams: AppMetric[] = [];
    const events: CollectEvent[] = [];
    w.scheduler.schedule(() => w.cut(true), 1_340);
    w.scheduler.schedule(() => w.fail(new Error('RLP gateway GET /v2/read broke')), 3_610);
    w.scheduler.schedule(() => w.cut(false), 4_090);
    w.scheduler.schedule(() => w.cut(true), 7_080);
    polled(w).subscribe((m) => viaReads.push(m));
    streamed(w, events, true, margin).subscribe((m) => viaStreams.push(m));
    w.scheduler.flush();
    assert.is(viaStreams.length, viaReads.length, `margin ${margin}`);
    const byKey = new Map(viaReads.map((m) => [key(m), m]));
    for (const m of viaStreams) assert.equal(m, byKey.get(key(m)), `margin ${margin}: ${key(m)}`);
    const backfills = events.filter((e) => e.kind === 'backfill');
    // The first backfill of each app reads the window; each of the four reopens fills a gap.
    assert.is(backfills.filter((e) => e.fromNs === undefined).length, 2, `margin ${margin}`);
    assert.is(backfills.filter((e) => e.fromNs !== undefined).length, 2 * 4, `margin ${margin}`);
  }
});

compare('streams renewed before they end give the same app metrics, with no read after the first', () => {
  for (const disturbed of [false, true]) {
    const w = world();
    const viaReads: AppMetric[] = [];
    const viaStreams: AppMetric[] = [];
    const events: CollectEvent[] = [];
    if (disturbed) {
      w.scheduler.schedule(() => w.cut(true), 2_040);
      w.scheduler.schedule(() => w.fail(new Error('RLP gateway GET /v2/read broke')), 6_020);
    }
    polled(w).subscribe((m) => viaReads.push(m));
    streamed(w, events, true, 0.1, 2.5).subscribe((m) => viaStreams.push(m));
    w.scheduler.flush();
    const label = disturbed ? 'with a closing and a failure' : 'undisturbed';
    assert.is(viaStreams.length, viaReads.length, label);
    const byKey = new Map(viaReads.map((m) => [key(m), m]));
    for (const m of viaStreams) assert.equal(m, byKey.get(key(m)), `${label}: ${key(m)}`);
    const opened = events.filter((e) => e.kind === 'stream' && e.event.kind === 'opened').length;
    const backfills = events.filter((e) => e.kind === 'backfill').length;
    if (disturbed) assert.ok(backfills > 2, label);
    else {
      // Two apps, one stream each, renewed at the ticks of 3 s, 6 s and 9 s.
      assert.is(opened, 2 * 4, label);
      assert.is(backfills, 2, label);
    }
  }
});

compare('the backfill must replace, not add: added to the stream, a reconnect counts emissions twice', () => {
  const w = world();
  const viaReads: AppMetric[] = [];
  const viaStreams: AppMetric[] = [];
  w.scheduler.schedule(() => w.cut(true), 2_340);
  polled(w).subscribe((m) => viaReads.push(m));
  streamed(w, [], false).subscribe((m) => viaStreams.push(m));
  w.scheduler.flush();
  const byKey = new Map(viaReads.map((m) => [key(m), m.value]));
  assert.is(viaStreams.length, viaReads.length);
  assert.ok(viaStreams.some((m) => byKey.get(key(m)) !== m.value));
});

compare.run();
