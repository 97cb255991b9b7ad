/**
 * The two collectors apps-per-instance.ts compares, driven on the real clock against one log-cache:
 * this service's collection pipeline and a small faithful model of the anchor's pollers. Both note
 * each finished read in a TickLog, keyed by the tick it belongs to.
 */
import { performance } from 'node:perf_hooks';
import { asyncScheduler, BehaviorSubject, interval, merge, Subscription, take } from 'rxjs';
import { filter, mergeMap, share, tap } from 'rxjs/operators';
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
