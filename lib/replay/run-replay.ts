import { errorText } from '../core/error-text.ts';
import { BehaviorSubject, defer, of, Subject } from 'rxjs';
import { createMetricCache } from '../core/evaluation/metric-cache.ts';
import type { Decision } from '../core/model/decision.ts';
import type { Policy } from '../core/model/policy.ts';
import { RecordingError } from '../tools/recording/recording-error.ts';
import type { RecordingIssue } from '../tools/recording/validate-recording.ts';
import { createSeriesCollector } from '../tools/report/metric-series.ts';
import { createScalingEngineModel, replyOfResult } from '../tools/simulation/scaling-engine-model.ts';
import { createQueryAppMetrics } from '../adapters/stores/query-app-metrics.ts';
import type { AppMetric, SaveResult, SortOrder } from '../core/model/app-metric.ts';
import { msToNs, nowNs } from '../core/time/ns.ts';
import { createAsyncTracker } from './async-tracker.ts';
import { createLoadModel } from './load-model.ts';
import { replayGraph } from '../../pipelines/graph/replay-graph.ts';
import type { ReplayEvent } from '../../pipelines/graph/replay-graph.ts';
import type { AggregatedTick } from '../../pipelines/emit-at-ticks.ts';
import { aggregateOffThread } from './aggregate-off-thread.ts';
import type { OffThreadProgress } from './aggregate-off-thread.ts';
import { createFrameDecoder } from './aggregated-frames.ts';
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
 * in-memory app-metric store and a simulated scaling engine. Worker threads stream and scan the
 * file and aggregate its envelopes on a virtual clock of their own (aggregateOffThread); this thread's clock
 * follows the envelopes' timestamps as they were read, adopts each app at its first envelope,
 * emits each tick's metrics at its instant, and then runs one aggregation interval past the last
 * envelope. With a database, every app metric is also written to it in the background.
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
  const progress: OffThreadProgress = {};
  let fraction = 0;
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

  // Counted on the aggregation thread as it aggregated, kept until the load model reads it (once, when
  // the metric is emitted); absent, no instance reported the metric. Only the shared model reads them.
  const reportingOf = new Map<AppMetric, number>();
  const keepReporting = (options.loadModel ?? 'shared') === 'shared';
  const loadModel = createLoadModel({
    name: options.loadModel ?? 'shared',
    settings,
    instances: (appId) => model.instances(appId),
    reporting: {
      count: (metric) => {
        const count = reportingOf.get(metric);
        if (count === undefined) return 0;
        reportingOf.delete(metric);
        return count;
      },
    },
    ...(options.capture ? { capture: options.capture } : {}),
  });

  const aggregated$ = new Subject<AggregatedTick>();
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

  const report = () => {
    if (options.onProgress && clock)
      options.onProgress({ fraction, virtualNs: msToNs(clock.now()), envelopes, scalingEvents });
  };

  // A paced replay waits until the wall clock has caught up with `ms` at the chosen speed.
  let paceStart = 0;
  const pace = async (ms: number) => {
    if (options.speed === undefined) return;
    const wait = paceStart + (ms - startMs) / options.speed - Date.now();
    if (wait > 0) await sleep(wait);
    // Frames carry minutes of recording: a paced replay also tells its progress as its clock moves.
    report();
  };

  const start = (firstMs: number) => {
    startMs = firstMs;
    paceStart = Date.now();
    clock = createVirtualClock({ startMs, tracker, beforeInstant: options.speed === undefined ? undefined : pace });
    const scheduler = clock.scheduler;
    const queryAppMetrics = createQueryAppMetrics({ cache, store: { retrieve }, now: () => nowNs(scheduler) });
    // The reply as the service's reply parser reads a 200 body (replyOfResult).
    const scale = (trigger: Parameters<typeof model.scale>[0]) =>
      defer(() => {
        const result = model.scale(trigger);
        if (result.status === 0) scalingEvents += 1;
        return of(replyOfResult(result));
      });
    replayGraph(
      { aggregated$, policy$, stop$ },
      {
        scheduler,
        cache,
        save,
        queryAppMetrics,
        scale,
        logger,
        loadModel: loadModel.transform,
        noBreachDecisions: options.noBreachDecisions ?? true,
        metricEvents: options.series ?? true,
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

  // Moves the clock to the instant of an envelope read, as its delivery did when envelopes came
  // here: what is due before it runs first. A promise only when the clock has to run.
  const advance = (ms: number): Promise<void> | undefined => {
    const c = clock!;
    if (ms > c.now() && (options.speed !== undefined || !c.skipTo(ms)))
      return c.runUntil(ms, false).then(() => pace(ms));
    return undefined;
  };

  const decoder = createFrameDecoder();
  const noteReporting = keepReporting
    ? (metric: AppMetric, count: number) => {
        reportingOf.set(metric, count);
      }
    : () => {};
  read: for await (const text of aggregateOffThread(options.recording, {
    policies: options.policies,
    settings,
    extraMetricTypes: options.extraMetricTypes,
    maxIssues: options.strict ? 1 : MAX_ISSUES,
    progress,
    cacheDir: options.cacheDir,
  })) {
    const frame = decoder.frame(text);
    for (const event of frame.events) {
      if (failure) break read;
      switch (event[0]) {
        case 'start':
          firstEnvelopeAt = performance.now();
          start(event[1]);
          break;
        case 'source': {
          const wait = advance(event[1]);
          if (wait) await wait;
          if (apps.observeSource(event[2])) {
            // The cache follows the app set before the monitors ask for the new app's metrics.
            cache.sync(apps.policies.keys());
            policy$.next(new Map(apps.policies));
          }
          break;
        }
        case 'name':
          apps.observeName(event[1], event[2]);
          break;
        case 'series':
          decoder.declare(event);
          break;
        case 'tick':
          aggregated$.next({ atMs: event[1], metrics: decoder.metrics(event, noteReporting) });
          break;
        case 'issue':
          if (options.strict)
            throw new RecordingError(`${options.recording}: line ${event[1]}: ${event[2]}`, {
              path: options.recording,
              line: event[1],
            });
          issues.push({ line: event[1], reason: event[2] });
          break;
        case 'log':
          logger[event[1]](event[2], event[3] ?? undefined);
          break;
      }
    }
    envelopes = frame.envelopes;
    late = frame.late;
    issueCount = frame.issues;
    fraction = frame.fraction;
    if (failure) break;
    if (frame.latestMs !== null && clock) {
      const wait = advance(frame.latestMs);
      if (wait) await wait;
    }
    report();
  }

  if (clock) {
    // One more aggregation after the last envelope, so its window is evaluated too.
    await clock.runUntil(clock.now() + settings.aggregatorIntervalMs, true);
    const endMs = clock.now();
    aggregated$.complete();
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
      scannerCpuMs: progress.scannerCpuMs,
      wallMs: Date.now() - wallStart,
      loadModel: options.loadModel ?? 'shared',
      firstEnvelopeAt,
    };
  }
};
