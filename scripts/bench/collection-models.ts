/**
 * The collectors apps-per-instance.ts compares, driven on the real clock against one log-cache:
 * this service's collection pipeline (polling, or streaming from the RLP gateway with log-cache
 * backfills) and a small faithful model of the anchor's pollers. Polling collectors note each
 * finished read in a TickLog, keyed by the tick it belongs to; the streaming one notes each tick's
 * refresh in a StreamLog.
 */
import { performance } from 'node:perf_hooks';
import { asyncScheduler, BehaviorSubject, interval, merge, Subject, Subscription, take } from 'rxjs';
import { filter, mergeMap, share, switchMap, tap } from 'rxjs/operators';
import { createLogCacheClient } from '../../lib/adapters/logcache/logcache-client.ts';
import type { LogCacheClient } from '../../lib/adapters/logcache/logcache-client.ts';
import { createMetricSources } from '../../lib/adapters/logcache/metric-sources.ts';
import { aggregateSamples } from '../../lib/core/metrics/aggregate-samples.ts';
import { nameFilterFor } from '../../lib/core/metrics/metric-types.ts';
import { samplesFromEnvelopes } from '../../lib/core/metrics/samples-from-envelopes.ts';
import type { Monitors } from '../../lib/core/model/policy.ts';
import { msToNs, nsToMs } from '../../lib/core/time/ns.ts';
import { aggregateMetrics } from '../../pipelines/aggregate-metrics.ts';
import { collectMetrics } from '../../pipelines/collect-metrics.ts';
import { streamMetrics } from '../../pipelines/stream-metrics.ts';
import { createRlpStreamClient } from '../../lib/adapters/logcache/rlp-stream-client.ts';
import type { CollectEvent } from '../../pipelines/collect-metrics.ts';
import { setTimeout as sleep } from 'node:timers/promises';

/** Interval, stat window and emission period, all shortened by `factor`. */
export interface Compression {
  readonly factor: number;
  readonly intervalMs: number;
  readonly windowSecs: number;
  readonly periodSecs: number;
}

export type TickLog = ReturnType<typeof createTickLog>;

export interface CollectionRun {
  readonly url: string;
  readonly ids: readonly string[];
  readonly types: readonly string[];
  readonly c: Compression;
  readonly ticks: number;
  readonly log: TickLog;
  /** Requests in flight at once (the anchor: pollers). */
  readonly concurrency: number;
}

const clientFor = (url: string, concurrency: number): LogCacheClient =>
  createLogCacheClient({ url, timeoutMs: 10_000, retry: { limit: 2, initialMs: 250, maxMs: 2000 }, concurrency });

export const wallMs = (): number => performance.timeOrigin + performance.now();

/** Per tick (keyed by the read's end, which is the tick instant): reads done and the last one's lag. */
export const createTickLog = (warmUpTicks: number) => {
  const ticks = new Map<bigint, { reads: number; lastMs: number; requestMs: number }>();
  // Connections and JIT warm up on the first ticks; ours also reads a whole stat window on the first,
  // which can spill into the second (apps still busy are skipped), so both are left out.
  const steady = () =>
    [...ticks]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .slice(warmUpTicks)
      .map(([, t]) => t);
  return {
    done(tickNs: bigint, startedMs: number) {
      const t = ticks.get(tickNs) ?? { reads: 0, lastMs: 0, requestMs: 0 };
      const now = wallMs();
      t.reads += 1;
      t.lastMs = Math.max(t.lastMs, now - nsToMs(tickNs));
      t.requestMs += now - startedMs;
      ticks.set(tickNs, t);
    },
    steady,
    meanRequestMs: () => {
      const reads = steady().reduce((n, t) => n + t.reads, 0);
      return reads === 0 ? 0 : steady().reduce((n, t) => n + t.requestMs, 0) / reads;
    },
    requests: () => [...ticks.values()].reduce((n, t) => n + t.reads, 0),
  };
};

/** This service: collectMetrics feeding aggregateMetrics, ticks on the real clock; resolves to the failed reads. */
export const runOurs = async ({ url, ids, types, c, ticks, log, concurrency }: CollectionRun): Promise<number> => {
  const client = clientFor(url, concurrency);
  const sources = createMetricSources(client, { promQlWindowSecs: c.intervalMs / 1000, readLimit: 1000 });
  const monitor$ = new BehaviorSubject<Monitors>(new Map(ids.map((id) => [id, types])));
  let failures = 0;
  const collect$ = collectMetrics(
    { tick$: interval(c.intervalMs, asyncScheduler).pipe(take(ticks)), monitor$ },
    {
      scheduler: asyncScheduler,
      statWindowSecs: c.windowSecs,
      concurrency,
      queryPromQl: sources.queryPromQl,
      readEnvelopes: (appId, nameFilter, start, end) => {
        const startedMs = wallMs();
        return sources.readEnvelopes(appId, nameFilter, start, end).pipe(tap(() => log.done(end, startedMs)));
      },
    },
  ).pipe(share());
  const envelope$ = collect$.pipe(
    filter((e): e is Extract<CollectEvent, { kind: 'envelopes' }> => e.kind === 'envelopes'),
    mergeMap((e) => e.envelopes),
  );
  const subscription = new Subscription();
  const finished = new Promise<void>((resolve) => {
    subscription.add(
      merge(
        collect$.pipe(
          tap((e) => {
            if (e.kind === 'failed') failures += 1;
          }),
        ),
        aggregateMetrics(
          { envelope$, monitor$ },
          {
            scheduler: asyncScheduler,
            statWindowSecs: c.windowSecs,
            intervalMs: c.intervalMs,
            localHttpMetrics: false,
          },
        ),
      ).subscribe({ complete: resolve, error: resolve }),
    );
  });
  await Promise.race([finished, sleep((ticks + 1) * c.intervalMs)]);
  subscription.unsubscribe();
  await client.close();
  return failures;
};

/**
 * The anchor: each tick queues one monitor per (app, type) and `concurrency` pollers each read the
 * whole stat window for one type, then reduce it; resolves to the failed reads.
 */
export const runAnchor = async ({ url, ids, types, c, ticks, log, concurrency }: CollectionRun): Promise<number> => {
  const client = clientFor(url, concurrency);
  let failures = 0;
  const first = wallMs() + c.intervalMs;
  for (let k = 0; k < ticks; k++) {
    const due = first + k * c.intervalMs;
    if (due > wallMs()) await sleep(due - wallMs());
    // A late tick still counts its lag from when it was due.
    const tickNs = msToNs(due);
    const now = msToNs(Math.max(due, wallMs()));
    const queue = ids.flatMap((appId) => types.map((type) => ({ appId, type })));
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let m = queue.pop(); m; m = queue.pop()) {
          const startedMs = wallMs();
          try {
            // No limit sent: log-cache's default page of 100, as the anchor reads
            // (docs/anchor-compatibility.md#log-cache-reads).
            const read = await client.read(m.appId, {
              startTime: now - BigInt(c.windowSecs * 1e9),
              endTime: now,
              envelopeTypes: ['GAUGE'],
              nameFilter: nameFilterFor(m.type),
            });
            aggregateSamples(m.appId, m.type, samplesFromEnvelopes(read.envelopes, m.type, now), now);
            log.done(tickNs, startedMs);
          } catch {
            failures += 1;
          }
        }
      }),
    );
  }
  await client.close();
  return failures;
};

/** How long a streaming run waits for the first backfill of every app before it counts them failed. */
const STREAM_READY_MS = 120_000;

/** This process's CPU time so far, in ms. */
const cpuMsNow = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** CPU time (ms) and requests at one instant of a streaming run. */
interface StreamMark {
  readonly cpuMs: number;
  readonly requests: number;
  readonly wallMs: number;
}

/** Per tick of a streaming run: metrics made, how long after the tick the last came; the start and the renewals. */
export const createStreamLog = (warmUpTicks: number) => {
  const ticks: { metrics: number; lastMs: number; startedMs: number }[] = [];
  let worstDeliveryLagMs = 0;
  let requests = 0;
  let ready: StreamMark | undefined;
  let renewals = 0;
  return {
    /** Every app's first backfill is in: what was spent so far is the streams' one-off start. */
    ready: () => {
      ready = { cpuMs: cpuMsNow(), requests, wallMs: wallMs() };
    },
    /** When every first backfill was in. */
    readyMark: () => ready,
    /** A stream opened after the start: a renewal (or a reopen). */
    renewed: () => {
      renewals += 1;
    },
    renewals: () => renewals,
    /**
     * A tick: the metrics from now to the next tick are its own. Most come in the tick's own call;
     * those of apps whose backfill was still on its way (after a reopen) when it came follow it.
     */
    tick: (startedMs: number) => {
      ticks.push({ metrics: 0, lastMs: 0, startedMs });
    },
    metric: () => {
      const entry = ticks.at(-1);
      if (entry === undefined) return;
      entry.metrics += 1;
      entry.lastMs = wallMs() - entry.startedMs;
    },
    /** A stream batch arrived: how far behind the newest envelope's emission it is. */
    delivered: (newestNs: bigint) => {
      if (ticks.length <= warmUpTicks) return;
      worstDeliveryLagMs = Math.max(worstDeliveryLagMs, wallMs() - nsToMs(newestNs));
    },
    request: () => {
      requests += 1;
    },
    steady: () => ticks.slice(warmUpTicks),
    worstDeliveryLagMs: () => worstDeliveryLagMs,
    requests: () => requests,
  };
};

export type StreamLog = ReturnType<typeof createStreamLog>;

/**
 * This service in streaming mode: streamMetrics over the RLP stream client (one connection per
 * `sourcesPerConnection` apps) with log-cache backfills, feeding aggregateMetrics as the service
 * graph does; resolves to the failures (stream failures and failed backfills).
 */
export const runStreaming = async (
  { url, ids, types, c, ticks, concurrency }: Omit<CollectionRun, 'log'>,
  streamUrl: string,
  log: StreamLog,
  sourcesPerConnection: number,
  renewAfterSecs: number,
): Promise<number> => {
  const client = clientFor(url, concurrency);
  const sources = createMetricSources(client, { promQlWindowSecs: c.intervalMs / 1000, readLimit: 1000 });
  const rlp = createRlpStreamClient({ url: streamUrl, connectTimeoutMs: 10_000, idleTimeoutMs: 60_000 });
  const monitor$ = new BehaviorSubject<Monitors>(new Map(ids.map((id) => [id, types])));
  let failures = 0;
  // Ticks start once every app's first backfill is in: a one-off at start (about a minute for 50,000
  // apps at concurrency 20) that the compressed interval would otherwise stretch over 20 times as
  // many intervals. Its CPU and requests are given on their own.
  const settled = new Set<string>();
  const ready$ = new Subject<void>();
  const tick$ = ready$.pipe(
    take(1),
    switchMap(() => interval(c.intervalMs, asyncScheduler)),
    take(ticks),
    tap(() => log.tick(wallMs())),
  );
  const collect$ = streamMetrics(
    { tick$, monitor$ },
    {
      scheduler: asyncScheduler,
      statWindowSecs: c.windowSecs,
      sourcesPerConnection,
      concurrency,
      reconnect: { initialMs: 100, maxMs: 1000 },
      // The default margin (5 s), compressed as the stat window is.
      resumeMarginSecs: 5 / c.factor,
      renewAfterSecs,
      streamEnvelopes: (sourceIds) => {
        log.request();
        return rlp.stream(sourceIds).pipe(
          tap((item) => {
            if (item.kind !== 'batch') return;
            let newest = 0n;
            for (const e of item.envelopes) if (e.timestamp > newest) newest = e.timestamp;
            if (newest > 0n) log.delivered(newest);
          }),
        );
      },
      readEnvelopes: (appId, nameFilter, start, end) => {
        log.request();
        return sources.readEnvelopes(appId, nameFilter, start, end);
      },
    },
  ).pipe(share());
  const only = <K extends CollectEvent['kind']>(kind: K) =>
    collect$.pipe(filter((e): e is Extract<CollectEvent, { kind: K }> => e.kind === kind));
  const subscription = new Subscription();
  const finished = new Promise<void>((resolve) => {
    subscription.add(
      merge(
        collect$.pipe(
          tap((e) => {
            if (e.kind === 'failed' || (e.kind === 'stream' && e.event.kind === 'failed')) {
              if (failures === 0)
                process.stderr.write(
                  `streaming: first failure: ${e.kind === 'failed' ? e.error : JSON.stringify(e.event)}\n`,
                );
              failures += 1;
            }
            // A failed first backfill is only tried again on a tick: it ends the wait too (and fails the trial).
            if ((e.kind === 'backfill' || e.kind === 'failed') && settled.size < ids.length) {
              settled.add(e.appId);
              if (settled.size === ids.length) {
                log.ready();
                ready$.next();
              }
            } else if (e.kind === 'stream' && e.event.kind === 'opened' && settled.size === ids.length) log.renewed();
          }),
        ),
        aggregateMetrics(
          {
            envelope$: only('streamed').pipe(mergeMap((e) => e.envelopes)),
            flush$: only('refresh').pipe(mergeMap((e) => e.appIds)),
            replace$: only('backfill'),
            monitor$,
          },
          {
            scheduler: asyncScheduler,
            statWindowSecs: c.windowSecs,
            intervalMs: c.intervalMs,
            localHttpMetrics: false,
          },
        ).pipe(tap(() => log.metric())),
      ).subscribe({
        complete: resolve,
        error: (err: unknown) => {
          failures += 1;
          process.stderr.write(`streaming run stopped: ${String(err)}\n`);
          resolve();
        },
      }),
    );
  });
  const started = wallMs();
  await Promise.race([
    finished,
    (async () => {
      while (settled.size < ids.length && wallMs() - started < STREAM_READY_MS) await sleep(50);
      await sleep((ticks + 1) * c.intervalMs);
    })(),
  ]);
  if (settled.size < ids.length) failures += ids.length - settled.size;
  // The last tick's metrics are counted after pending I/O.
  await new Promise((resolve) => setImmediate(resolve));
  subscription.unsubscribe();
  await client.close();
  return failures;
};
