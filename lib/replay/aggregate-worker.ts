/**
 * The aggregation thread behind aggregateOffThread: it takes the envelopes and bad lines the
 * scanning thread (scan-worker.ts) read from the recording, in batches, and runs the replay's
 * aggregation (replayAggregation, the service's own) on them on a virtual clock of its own,
 * as the main thread's clock would run it, then sends the metrics of each tick, the sources as
 * they appear and the counts as frames (aggregated-frames.ts), at most as many frames ahead as
 * the main thread has granted. With a cache, it sends the cached frames instead, or writes them there.
 */
import { stat } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { BehaviorSubject, Observable } from 'rxjs';
import type { Subscriber } from 'rxjs';
import { errorText } from '../core/error-text.ts';
import type { Envelope } from '../core/model/envelope.ts';
import type { Policy } from '../core/model/policy.ts';
import type { Logger } from '../core/model/ports.ts';
import { nsToMs } from '../core/time/ns.ts';
import { isRecordingError, RecordingError } from '../tools/recording/recording-error.ts';
import { replayAggregation } from '../../pipelines/graph/replay-aggregation.ts';
import { CacheUnusable, createAggregatedCacheWriter, pruneCacheDir, readAggregatedCache } from './aggregated-cache.ts';
import type { AggregatedCacheWriter } from './aggregated-cache.ts';
import { createFrameEncoder } from './aggregated-frames.ts';
import { createBatchDecoder } from './envelope-batches.ts';
import type { BatchDecoder, BatchSink } from './envelope-batches.ts';
import type { FrameEncoder } from './aggregated-frames.ts';
import type {
  AggregateWorkerMessage,
  AggregateWorkerStart,
  CacheOutcome,
  ScanWorkerMessage,
} from './aggregate-worker-messages.ts';
import { createReportingInstances, SHARED_METRIC_TYPES } from './load-model.ts';
import { createReplayApps } from './replay-apps.ts';
import { createVirtualScheduler } from './virtual-scheduler.ts';
import type { VirtualScheduler } from './virtual-scheduler.ts';
import { dirname } from 'node:path';

const port = parentPort!;
const post = (message: AggregateWorkerMessage) => port.postMessage(message);

let credit = 0;
let granted: (() => void) | undefined;
let started: ((start: AggregateWorkerStart) => void) | undefined;
const start = new Promise<AggregateWorkerStart>((resolve) => {
  started = resolve;
});
port.on('message', (message: number | AggregateWorkerStart) => {
  if (typeof message !== 'number') return started?.(message);
  credit += message;
  granted?.();
});
const waitForCredit = async () => {
  while (credit <= 0)
    await new Promise<void>((resolve) => {
      granted = resolve;
    });
  granted = undefined;
  credit -= 1;
};

let writer: AggregatedCacheWriter | undefined;
let note: string | undefined;

const send = async (text: string) => {
  // Written before it is sent; a cache that cannot be written (a full disk) is given up, the replay goes on.
  try {
    writer?.add(text);
  } catch (err) {
    writer?.abandon();
    writer = undefined;
    note = `cache not written: ${errorText(err)}`;
  }
  await waitForCredit();
  post({ kind: 'frame', text });
};

/** The scanning thread's messages, as they come. */
async function* scanned(from: MessagePort): AsyncGenerator<ScanWorkerMessage> {
  const inbox: ScanWorkerMessage[] = [];
  let wake: (() => void) | undefined;
  from.on('message', (message: ScanWorkerMessage) => {
    inbox.push(message);
    wake?.();
  });
  try {
    for (;;) {
      while (inbox.length === 0)
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      wake = undefined;
      yield inbox.shift()!;
    }
  } finally {
    from.removeAllListeners('message');
  }
}

/** The aggregation's log lines, sent in order with the metrics (and kept in the cache with them). */
const frameLogger = (encoder: FrameEncoder, bindings: Record<string, unknown> = {}): Logger => ({
  warn: (fields, message) => encoder.event(['log', 'warn', { ...bindings, ...fields }, message ?? null]),
  error: (fields, message) => encoder.event(['log', 'error', { ...bindings, ...fields }, message ?? null]),
  child: (more) => frameLogger(encoder, { ...bindings, ...more }),
});

/**
 * Frames are cut after this many ticks, or this many envelopes (for progress), or at once for the
 * first bad line (a strict replay stops there). A frame per tick cost more in messages than in text.
 */
const TICKS_PER_FRAME = 8;
const ENVELOPES_PER_FRAME = 32_768;

const aggregate = async (options: AggregateWorkerStart) => {
  const { settings } = options;
  const encoder = createFrameEncoder();
  const apps = createReplayApps(options.policies);
  const policy$ = new BehaviorSubject<ReadonlyMap<string, Policy>>(new Map(apps.policies));
  // The aggregation's one subscriber, called directly: a Subject wraps every next in a closure.
  let envelopeSink: Subscriber<Envelope> | undefined;
  const envelope$ = new Observable<Envelope>((subscriber) => {
    envelopeSink = subscriber;
  });
  const reporting = createReportingInstances(settings);
  const sources = new Set<string>();
  const progress = { bytesRead: 0, totalBytes: (await stat(options.path).catch(() => ({ size: 0 }))).size };
  let scheduler: VirtualScheduler | undefined;
  let failure: { err: unknown } | undefined;
  let envelopes = 0;
  let late = 0;
  let issues = 0;
  let latestMs: number | null = null;
  let sinceFrame = 0;
  let ticks = 0;
  let urgent = false;

  const startAt = (ms: number): VirtualScheduler => {
    const clock = createVirtualScheduler(ms);
    scheduler = clock;
    encoder.event(['start', ms]);
    replayAggregation(
      { envelope$, policy$ },
      { scheduler: clock, logger: frameLogger(encoder), extraMetricTypes: options.extraMetricTypes },
      settings,
    ).subscribe({
      next: (metric) =>
        encoder.metric(clock.now(), metric, SHARED_METRIC_TYPES.has(metric.name) ? reporting.count(metric) : 0),
      error: (err: unknown) => {
        failure ??= { err };
      },
    });
    return clock;
  };
  // As the main thread's clock runs: every instant before (or at) the limit, one at a time.
  const runTo = (clock: VirtualScheduler, limitMs: number, inclusive: boolean) => {
    for (
      let due = clock.nextDue();
      due !== undefined && (inclusive ? due <= limitMs : due < limitMs);
      due = clock.nextDue()
    ) {
      clock.runNextInstant();
      if (encoder.endTick()) ticks += 1;
    }
  };
  // A source seen and named already.
  let settled: string | undefined;
  // The envelopes of one emission share a timestamp: converted once.
  let lastStamp: bigint | undefined;
  let lastMs = 0;
  const deliver = (envelope: Envelope) => {
    if (envelope.timestamp !== lastStamp) {
      lastStamp = envelope.timestamp;
      lastMs = nsToMs(lastStamp);
    }
    const ms = lastMs;
    const clock = scheduler ?? startAt(ms);
    if (ms > clock.now()) {
      runTo(clock, ms, false);
      clock.advanceTo(ms);
    } else if (ms < clock.now()) late += 1;
    if (latestMs === null || ms > latestMs) latestMs = ms;
    const appId = envelope.sourceId;
    if (appId !== settled) {
      const name = envelope.tags['app_name'];
      if (name && !apps.appNames.has(appId)) {
        apps.observeName(appId, name);
        encoder.event(['name', appId, name]);
      }
      if (!sources.has(appId)) {
        sources.add(appId);
        encoder.event(['source', ms, appId]);
        if (apps.observeSource(appId)) policy$.next(new Map(apps.policies));
      }
      // Envelopes come in runs of one source: nothing more to learn from the rest of its run.
      if (apps.appNames.has(appId)) settled = appId;
    }
    reporting.observe(envelope);
    envelopeSink?.next(envelope);
    envelopes += 1;
  };
  const takeFrame = (): string => {
    ticks = 0;
    urgent = false;
    sinceFrame = 0;
    const fraction = progress.totalBytes > 0 ? Math.min(1, progress.bytesRead / progress.totalBytes) : 0;
    return encoder.take({ envelopes, late, issues, latestMs, fraction });
  };

  // The scanning thread's batches, in order; each batch's buffers go back to it once aggregated.
  let decoder: BatchDecoder | undefined;
  const sink: BatchSink = {
    envelope(envelope) {
      deliver(envelope);
      after();
    },
    issue(line, reason) {
      issues += 1;
      if (reason !== undefined && issues <= options.maxIssues) encoder.event(['issue', line, reason]);
      // The main thread stops at the first one in strict mode: sent at once.
      if (issues === 1) urgent = true;
      after();
    },
  };
  // Frames are cut between lines, as they come, and sent after the batch (sending waits for credit).
  const pending: string[] = [];
  const after = () => {
    if (failure) throw failure.err;
    sinceFrame += 1;
    if (ticks >= TICKS_PER_FRAME || urgent || sinceFrame >= ENVELOPES_PER_FRAME) pending.push(takeFrame());
  };
  for await (const message of scanned(options.scanned)) {
    if (message.kind === 'failed') {
      if (message.recording) throw new RecordingError(message.message, { path: options.path, line: message.line });
      throw new Error(message.message);
    }
    if (message.kind === 'end') break;
    if (message.kind === 'buffers') {
      decoder = createBatchDecoder(message.sets);
      // The first is being filled; the others let the scanner go on (see scan-worker.ts).
      options.scanned.postMessage(message.sets.map((_s, i) => i).slice(1));
      continue;
    }
    progress.bytesRead = message.bytesRead;
    decoder!.decode(message, sink);
    options.scanned.postMessage(message.buffers);
    for (const text of pending) await send(text);
    pending.length = 0;
  }
  if (scheduler) {
    // One more aggregation after the last envelope, as the main thread runs it.
    runTo(scheduler, scheduler.now() + settings.aggregatorIntervalMs, true);
  }
  envelopeSink?.complete();
  if (failure) throw failure.err;
  await send(takeFrame());
};

const options = await start;
try {
  let outcome: CacheOutcome = 'off';
  let frames: string[] | undefined;
  if (options.cache) {
    try {
      frames = readAggregatedCache(options.cache.path, options.cache.key);
    } catch (err) {
      if (!(err instanceof CacheUnusable)) throw err;
      note = err.message;
    }
  }
  if (frames) {
    outcome = 'read';
    for (const frame of frames) {
      await waitForCredit();
      post({ kind: 'frame', text: frame });
    }
  } else {
    if (options.cache?.writable) {
      try {
        writer = createAggregatedCacheWriter(options.cache.path, options.cache.key);
      } catch (err) {
        note = `cache not written: ${errorText(err)}`;
      }
    }
    await aggregate(options);
    if (writer) {
      writer.finish();
      outcome = 'written';
      try {
        pruneCacheDir(dirname(options.cache!.path));
      } catch (err) {
        note = `cache directory not pruned: ${errorText(err)}`;
      }
    } else if (options.cache) outcome = 'not written';
  }
  post({ kind: 'end', cache: outcome, note });
} catch (err) {
  writer?.abandon();
  const recording = isRecordingError(err) ? err : undefined;
  post({ kind: 'failed', message: errorText(err), line: recording?.line, recording: recording !== undefined });
}
