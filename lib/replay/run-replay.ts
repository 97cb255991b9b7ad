import { errorText } from '../core/error-text.ts';
import { BehaviorSubject, defer, of, Subject } from 'rxjs';
import { createMetricCache } from '../core/evaluation/metric-cache.ts';
import { stringify } from '../core/json/bigint-json.ts';
import type { Decision } from '../core/model/decision.ts';
import type { Envelope } from '../core/model/envelope.ts';
import type { Policy } from '../core/model/policy.ts';
import { readRecordingOffThread } from '../tools/recording/read-recording-off-thread.ts';
import type { OffThreadProgress } from '../tools/recording/read-recording-off-thread.ts';
import { RecordingError } from '../tools/recording/recording-error.ts';
import type { RecordingIssue } from '../tools/recording/validate-recording.ts';
import { createSeriesCollector } from '../tools/report/metric-series.ts';
import { parseScaleReply } from '../core/scaling/parse-scale-reply.ts';
import { createScalingEngineModel } from '../tools/simulation/scaling-engine-model.ts';
import { createQueryAppMetrics } from '../adapters/stores/query-app-metrics.ts';
import type { AppMetric, SaveResult, SortOrder } from '../core/model/app-metric.ts';
import { msToNs, nowNs, nsToMs } from '../core/time/ns.ts';
import { createAsyncTracker } from './async-tracker.ts';
import { createLoadModel } from './load-model.ts';
import { replayGraph } from '../../pipelines/graph/replay-graph.ts';
import type { ReplayEvent } from '../../pipelines/graph/replay-graph.ts';
import { createReplayApps } from './replay-apps.ts';
import type { ReplayOptions, ReplayResult } from './replay-types.ts';
import { createVirtualClock } from './virtual-clock.ts';
import type { VirtualClock } from './virtual-clock.ts';
import { createMemoryAppMetricStore } from './memory-app-metric-store.ts';
import { replayAppMetricStore } from './replay-database.ts';
import { createWriteBehindStore } from './write-behind-store.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WriteBehindStore } from './write-behind-store.ts';

export type { ReplayOptions, ReplayResult } from './replay-types.ts';

const MAX_ISSUES = 100;

/**
 * Replays a recording through the service's pipelines in virtual time (see replayGraph) against an
 * in-memory app-metric store and a simulated scaling engine. Envelopes are streamed from the file
 * and delivered at their own timestamps; the clock then runs one aggregation interval past the last
 * one. With a database, every app metric is also written to it in the background.
 */
export const runReplay = async (options: ReplayOptions): Promise<ReplayResult> => {
  const wallStart = Date.now();
  const { settings, logger } = options;
  const tracker = createAsyncTracker();
  const cache = createMetricCache({ capacityPerApp: settings.metricCacheSizePerApp });
  const virtualNow = () => (clock ? nowNs(clock.scheduler) : 0n);
  const memory = createMemoryAppMetricStore({ now: virtualNow });
  const database = options.database === undefined ? undefined : Promise.resolve(options.database);
  const writer: WriteBehindStore | undefined = database
    ? createWriteBehindStore({
        store: database.then((db) => replayAppMetricStore(db.sql, virtualNow)),
        tracker,
        logger,
      })
    : undefined;
  let reads = 0;
  // A database that cannot be opened ends the replay: the user asked for the rows.
  database?.catch((err: unknown) => {
    failure ??= { err: new Error(`cannot open the database: ${errorText(err)}`, { cause: err }) };
  });
  // Saves are acknowledged at once, as a write that never fails; the table's own rule sets aside
  // the rows it could not hold, so the persist pipeline reports them as the service would.
  const save = (batch: readonly AppMetric[]) => {
    const result: SaveResult = memory.saveNow(batch);
    if (writer) {
      if (result.rejected.length === 0) writer.save(batch);
      else {
        const rejected = new Set(result.rejected.map((r) => r.metric));
        writer.save(batch.filter((m) => !rejected.has(m)));
      }
    }
    return of(result);
  };
  // A read settles after the reads asked before it, and the clock waits for it (tracked), as it
  // did when reads went to the database: a decision lands at the same virtual instant either way.
  const retrieve = (appId: string, metricType: string, start: bigint, end: bigint, order: SortOrder) => {
    reads += 1;
    return tracker.track(memory.retrieve(appId, metricType, start, end, order));
  };
  const apps = createReplayApps(options.policies, options.initialInstances);
  const decisions: Decision[] = [];
  const issues: RecordingIssue[] = [];
  const series = createSeriesCollector();
  const keep = options.keep ?? (() => true);
  const progress: OffThreadProgress = { fraction: 0 };
  let issueCount = 0;
  let envelopes = 0;
  let scalingEvents = 0;
  let firstEnvelopeAt: number | undefined;
  let late = 0;
  let clock: VirtualClock | undefined;
  let startMs = 0;
  let failure: { err: unknown } | undefined;
  let completed = false;

  const model = createScalingEngineModel({
    now: () => (clock ? nowNs(clock.scheduler) : 0n),
    limits: apps.limits,
    initialInstances: apps.initialInstances,
    defaultCoolDownSecs: settings.defaultCoolDownSecs,
  });

  const loadModel = createLoadModel({
    name: options.loadModel ?? 'shared',
    settings,
    instances: (appId) => model.instances(appId),
    ...(options.capture ? { capture: options.capture } : {}),
  });

  const envelope$ = new Subject<Envelope>();
  const stop$ = new Subject<void>();
  const policy$ = new BehaviorSubject<ReadonlyMap<string, Policy>>(new Map(apps.policies));
  cache.sync(apps.policies.keys());

  const onEvent = (event: ReplayEvent): void => {
    if (event.kind === 'metric') series.add(event.metric);
    else if (event.kind === 'decision') {
      if (keep(event.decision)) decisions.push(event.decision);
    } else if (event.event.kind === 'dropped' || event.event.kind === 'retrying')
      logger.warn({ event: event.event }, 'replay persistence trouble');
  };

  // A paced replay waits until the wall clock has caught up with `ms` at the chosen speed.
  let paceStart = 0;
  const pace = async (ms: number) => {
    if (options.speed === undefined) return;
    const wait = paceStart + (ms - startMs) / options.speed - Date.now();
    if (wait > 0) await sleep(wait);
  };

  const start = (firstMs: number) => {
    startMs = firstMs;
    paceStart = Date.now();
    clock = createVirtualClock({ startMs, tracker, beforeInstant: options.speed === undefined ? undefined : pace });
    const scheduler = clock.scheduler;
    const queryAppMetrics = createQueryAppMetrics({ cache, store: { retrieve }, now: () => nowNs(scheduler) });
    // The reply goes through the service's own reply parser, as a 200 body would.
    const scale = (trigger: Parameters<typeof model.scale>[0]) =>
      defer(() => {
        const reply = model.scale(trigger);
        if (reply.status === 0) scalingEvents += 1;
        return of(parseScaleReply(200, stringify(reply)));
      });
    replayGraph(
      { envelope$, policy$, stop$ },
      {
        scheduler,
        cache,
        save,
        queryAppMetrics,
        scale,
        logger,
        loadModel: loadModel.transform,
        ...(options.extraMetricTypes ? { extraMetricTypes: options.extraMetricTypes } : {}),
      },
      settings,
    ).subscribe({
      next: onEvent,
      error: (err: unknown) => {
        failure = { err };
      },
      complete: () => {
        completed = true;
      },
    });
  };

  // Returns a promise only when the clock has to run first, so most envelopes cost no await.
  const deliver = (envelope: Envelope): Promise<void> | undefined => {
    const ms = nsToMs(envelope.timestamp);
    if (!clock) {
      firstEnvelopeAt = performance.now();
      start(ms);
    }
    const c = clock!;
    if (ms > c.now()) {
      if (options.speed !== undefined || !c.skipTo(ms))
        return c
          .runUntil(ms, false)
          .then(() => pace(ms))
          .then(() => push(envelope));
    } else if (ms < c.now()) late += 1;
    push(envelope);
    return undefined;
  };

  const push = (envelope: Envelope) => {
    if (apps.observe(envelope)) {
      // The cache follows the app set before the monitors ask for the new app's metrics.
      cache.sync(apps.policies.keys());
      policy$.next(new Map(apps.policies));
    }
    loadModel.observe(envelope);
    envelope$.next(envelope);
    envelopes += 1;
    if (options.onProgress && envelopes % 512 === 0) {
      options.onProgress({
        fraction: progress.fraction,
        virtualNs: msToNs(clock!.now()),
        envelopes,
        scalingEvents,
      });
    }
  };

  // Reading and parsing run on a worker thread; envelopes are rebuilt one at a time, just before
  // delivery, so that a batch is never alive all at once (the collector would move it to the old space).
  read: for await (const entries of readRecordingOffThread(options.recording, {
    progress,
    cacheDir: options.cacheDir,
  })) {
    for (const entry of entries) {
      if (failure) break read;
      if (!entry.ok) {
        if (options.strict)
          throw new RecordingError(`${options.recording}: line ${entry.line}: ${entry.reason}`, {
            path: options.recording,
            line: entry.line,
          });
        issueCount += 1;
        if (issues.length < MAX_ISSUES) issues.push({ line: entry.line, reason: entry.reason });
        continue;
      }
      const wait = deliver(entry.envelope);
      if (wait) await wait;
    }
  }

  if (clock) {
    // One more aggregation after the last envelope, so its window is evaluated too.
    await clock.runUntil(clock.now() + settings.aggregatorIntervalMs, true);
    const endMs = clock.now();
    envelope$.complete();
    stop$.next();
    for (let rounds = 0; !completed && !failure && rounds < 10_000; rounds += 1) {
      const due = clock.nextDue();
      if (due === undefined && tracker.pending() === 0) break;
      await clock.runUntil(due ?? clock.now(), true);
      await tracker.settle();
    }
    await writer?.flush();
    await tracker.settle();
    if (failure) throw failure.err;
    if (!completed) logger.warn({}, 'replay pipelines did not complete after the recording ended');
    return result(msToNs(startMs), msToNs(endMs));
  }
  return result(0n, 0n);

  function result(startNs: bigint, endNs: bigint): ReplayResult {
    return {
      startNs,
      endNs,
      envelopes,
      lateEnvelopes: late,
      issues,
      issueCount,
      policies: apps.policies,
      appNames: apps.appNames,
      unmatchedSources: apps.unmatched,
      decisions,
      events: model.events(),
      series: series.series(),
      initialInstances: apps.initialInstances,
      reads,
      database: writer?.stats(),
      cache: progress.cache,
      cacheNote: progress.cacheNote,
      readerCpuMs: progress.readerCpuMs,
      wallMs: Date.now() - wallStart,
      loadModel: options.loadModel ?? 'shared',
      firstEnvelopeAt,
    };
  }
};
