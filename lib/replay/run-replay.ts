import { stat } from 'node:fs/promises';
import { BehaviorSubject, defer, of, Subject } from 'rxjs';
import { createMetricCache } from '../core/evaluation/metric-cache.ts';
import { stringify } from '../core/json/bigint-json.ts';
import type { Decision } from '../core/model/decision.ts';
import type { Envelope } from '../core/model/envelope.ts';
import type { Policy } from '../core/model/policy.ts';
import { readRecordingOffThread } from '../tools/recording/read-recording-off-thread.ts';
import { RecordingError } from '../tools/recording/recording-error.ts';
import type { RecordingIssue } from '../tools/recording/validate-recording.ts';
import { createSeriesCollector } from '../tools/report/metric-series.ts';
import { parseScaleReply } from '../core/scaling/parse-scale-reply.ts';
import { createScalingEngineModel } from '../tools/simulation/scaling-engine-model.ts';
import { createAppMetricStore } from '../adapters/stores/app-metric-store.ts';
import { createQueryAppMetrics } from '../adapters/stores/query-app-metrics.ts';
import { msToNs, nowNs, nsToMs } from '../core/time/ns.ts';
import { createAsyncTracker } from './async-tracker.ts';
import { createLoadModel } from './load-model.ts';
import { replayGraph } from '../../pipelines/graph/replay-graph.ts';
import type { ReplayEvent } from '../../pipelines/graph/replay-graph.ts';
import { createReplayApps } from './replay-apps.ts';
import type { ReplayOptions, ReplayResult } from './replay-types.ts';
import { createVirtualClock } from './virtual-clock.ts';
import type { VirtualClock } from './virtual-clock.ts';
import { createWriteBehindStore } from './write-behind-store.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export type { ReplayOptions, ReplayResult } from './replay-types.ts';

const MAX_ISSUES = 100;

/**
 * Replays a recording through the service's pipelines in virtual time (see replayGraph) against the
 * given database and a simulated scaling engine. Envelopes are streamed from the file and delivered
 * at their own timestamps; the clock then runs one aggregation interval past the last one.
 */
export const runReplay = async (options: ReplayOptions): Promise<ReplayResult> => {
  const wallStart = Date.now();
  const { settings, logger } = options;
  const tracker = createAsyncTracker();
  const cache = createMetricCache({ capacityPerApp: settings.metricCacheSizePerApp });
  const store = createWriteBehindStore({
    store: createAppMetricStore(options.database.sql, { now: () => (clock ? nowNs(clock.scheduler) : 0n) }),
    tracker,
    logger,
  });
  const apps = createReplayApps(options.policies, options.initialInstances);
  const decisions: Decision[] = [];
  const issues: RecordingIssue[] = [];
  const series = createSeriesCollector();
  const keep = options.keep ?? (() => true);
  const progress = { bytesRead: 0, totalBytes: (await stat(options.recording).catch(() => ({ size: 0 }))).size };
  let issueCount = 0;
  let envelopes = 0;
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
    const queryAppMetrics = createQueryAppMetrics({ cache, store, now: () => nowNs(scheduler) });
    // The reply goes through the service's own reply parser, as a 200 body would.
    const scale = (trigger: Parameters<typeof model.scale>[0]) =>
      defer(() => of(parseScaleReply(200, stringify(model.scale(trigger)))));
    replayGraph(
      { envelope$, policy$, stop$ },
      {
        scheduler,
        cache,
        save: store.save,
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
    if (!clock) start(ms);
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
        fraction: progress.totalBytes > 0 ? progress.bytesRead / progress.totalBytes : 0,
        virtualNs: msToNs(clock!.now()),
        envelopes,
      });
    }
  };

  // Reading and parsing run on a worker thread; envelopes are rebuilt one at a time, just before
  // delivery, so that a batch is never alive all at once (the collector would move it to the old space).
  read: for await (const entries of readRecordingOffThread(options.recording, { progress })) {
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
    await store.flush();
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
      database: { written: store.stats().written, reads: store.stats().reads, failures: store.stats().failures },
      wallMs: Date.now() - wallStart,
      loadModel: options.loadModel ?? 'shared',
    };
  }
};
