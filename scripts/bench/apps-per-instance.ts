/**
 * Apps per instance: the most apps whose every metric is refreshed each aggregation interval, with
 * a simulated log-cache and RLP gateway (own process, 20 ms latency, 4 instances per app) — this
 * service's collection in both modes (polling: collectMetrics + aggregateMetrics over the real
 * client; streaming: streamMetrics over the real stream client, with log-cache backfills) next to a
 * faithful small model of the anchor (20 pollers, one read per app and metric type). Time is
 * compressed: interval, stat window and emission period are all divided by the same factor, so
 * every read carries what it would carry at 40 s and the streams carry the envelopes per second a
 * real foundation of the multiplied app count emits; the app count found is multiplied back.
 * Usage: node scripts/bench/apps-per-instance.ts [--quick] [--rows <list>] [--apps <n>]
 *   --rows  comma list of the rows to run, each `<mode>-<concurrency>` with mode polling, streaming or
 *           anchor and concurrency 20 or 100 (e.g. `streaming-100,anchor-100`); default all six
 *   --apps  one trial at this many apps (as in the table, multiplied by 20) instead of the search:
 *           CPU per app refresh at a fixed count, to compare a change before and after
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createStreamLog, createTickLog, runAnchor, runOurs, runStreaming, wallMs } from './collection-models.ts';
import type { Compression } from './collection-models.ts';
import { benchApp } from './synthetic-apps.ts';
import { count, ms, ratio, runBench, verdict } from './table.ts';
import type { BenchTable } from './table.ts';

const INTERVAL_SECS = 40;
const STAT_WINDOW_SECS = 120;
const EMISSION_PERIOD_SECS = 30;
const INSTANCES = 4;
const LATENCY_MS = 20;
/** The anchor's `metric_poller_count`. */
const CONCURRENCY = 20;
/** Our `logcache.request_concurrency` default: requests are I/O-bound, so more in flight buys apps. */
const DEFAULT_CONCURRENCY = 100;
const TYPES = ['cpu', 'memoryutil', 'memoryused'] as const;
/** `logcache.stream_source_ids` default. */
const SOURCES_PER_CONNECTION = 200;

interface Trial {
  readonly pass: boolean;
  readonly detail: string;
  readonly worstLagMs: number;
  readonly requests: number;
  readonly meanRequestMs: number;
  readonly ownCpu: number;
  readonly peerCpu: number;
  /** This process's CPU time per app refresh (every metric of one app refreshed once), in ms. */
  readonly cpuMsPerRefresh: number;
  /** Log-cache requests per app refresh (streaming: stream connections opened and backfill reads). */
  readonly requestsPerRefresh: number;
  /** Streaming: the CPU time of every app's first backfill, a one-off at start, per app (ms). */
  readonly startMsPerApp?: number;
}

type Mode = 'ours' | 'anchor' | 'stream';

const startPeer = async (
  apps: number,
  c: Compression,
  stream: boolean,
): Promise<{ url: string; streamUrl: string | undefined; child: ChildProcess; cpuMs: () => Promise<number> }> => {
  const child = fork(
    join(import.meta.dirname, 'logcache-peer.ts'),
    [
      '--apps',
      String(apps),
      '--instances',
      String(INSTANCES),
      '--period-secs',
      String(c.periodSecs),
      '--latency-ms',
      String(LATENCY_MS),
      ...(stream ? ['--stream'] : []),
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const { url, streamUrl } = await new Promise<{ url: string; streamUrl?: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { url: string; streamUrl?: string }));
    child.once('exit', (code) => reject(new Error(`the simulated log-cache exited (code ${code}) before listening`)));
  });
  const cpuMs = () =>
    new Promise<number>((resolve) => {
      child.once('message', (m) => {
        const { user, system } = (m as { cpu: NodeJS.CpuUsage }).cpu;
        resolve((user + system) / 1000);
      });
      child.send('cpu');
    });
  return { url, streamUrl, child, cpuMs };
};

interface Plan {
  readonly mode: Mode;
  readonly concurrency: number;
  readonly warmUpTicks: number;
  readonly steadyTicks: number;
}

/**
 * Streaming passes when every steady tick made every metric of every app within the interval, no
 * stream failed or backfill read failed, and no batch arrived more than an interval after its
 * newest envelope was emitted (the streams kept up, so the refreshed metrics are current).
 */
const streamTrial = async (plan: Plan, apps: number, c: Compression): Promise<Trial> => {
  const ticks = plan.warmUpTicks + plan.steadyTicks;
  const peer = await startPeer(apps, c, true);
  try {
    const ids = Array.from({ length: apps }, (_v, i) => benchApp(i, INSTANCES).appId);
    const log = createStreamLog(plan.warmUpTicks);
    const cpuBefore = process.cpuUsage();
    const peerBefore = await peer.cpuMs();
    const started = wallMs();
    // Streams are renewed before the gateway's 14-minute timeout (12 minutes in the service). Here
    // they are renewed every warm-up's worth of intervals (3; 1 with --quick), so the judged ticks
    // include renewals, far more often than the service renews (every 18 intervals): their cost is
    // counted high.
    const failures = await runStreaming(
      { url: peer.url, ids, types: TYPES, c, ticks, concurrency: plan.concurrency },
      peer.streamUrl ?? '',
      log,
      SOURCES_PER_CONNECTION,
      (Math.max(1, plan.warmUpTicks) * c.intervalMs) / 1000,
    );
    const elapsed = wallMs() - started;
    const own = process.cpuUsage(cpuBefore);
    const peerCpu = ((await peer.cpuMs()) - peerBefore) / elapsed;
    const ownMs = (own.user + own.system) / 1000;
    const beforeMs = (cpuBefore.user + cpuBefore.system) / 1000;
    // Every app's first backfill is a one-off when the instance starts, reported on its own; never
    // ready (a failed trial): all of it counts as the start.
    const ready = log.readyMark() ?? { cpuMs: beforeMs + ownMs, requests: log.requests(), wallMs: started + elapsed };
    const startMs = ready.cpuMs - beforeMs;
    const ticksMs = ownMs - startMs;
    const refreshes = apps * ticks;
    const steady = log.steady();
    const worstLagMs = Math.max(0, ...steady.map((t) => t.lastMs));
    const deliveryLagMs = log.worstDeliveryLagMs();
    const pass =
      failures === 0 &&
      log.renewals() > 0 &&
      steady.length >= plan.steadyTicks &&
      steady.every((t) => t.metrics === apps * TYPES.length && t.lastMs <= c.intervalMs) &&
      deliveryLagMs <= c.intervalMs;
    const detail = steady.map((t) => `${t.metrics} metrics, last ${Math.round(t.lastMs)} ms`).join('; ');
    const perApp = (v: number) => (v / apps).toFixed(3);
    return {
      pass,
      detail: `${detail}; stream lag at most ${Math.round(deliveryLagMs)} ms; ${failures} failed; ${log.renewals()} streams renewed; CPU ${Math.round((ownMs / elapsed) * 100)}%; the start ${perApp(startMs)} ms and ${perApp(ready.requests)} requests per app, once, in ${Math.round(ready.wallMs - started)} ms`,
      worstLagMs,
      requests: log.requests(),
      meanRequestMs: Number.NaN,
      ownCpu: ownMs / elapsed,
      peerCpu,
      cpuMsPerRefresh: ticksMs / refreshes,
      requestsPerRefresh: (log.requests() - ready.requests) / refreshes,
      startMsPerApp: startMs / apps,
    };
  } finally {
    peer.child.disconnect();
  }
};

const trial = async (plan: Plan, apps: number, c: Compression): Promise<Trial> => {
  const { mode, concurrency } = plan;
  if (mode === 'stream') return streamTrial(plan, apps, c);
  const ticks = plan.warmUpTicks + plan.steadyTicks;
  const peer = await startPeer(apps, c, false);
  try {
    const ids = Array.from({ length: apps }, (_v, i) => benchApp(i, INSTANCES).appId);
    const log = createTickLog(plan.warmUpTicks);
    const cpuBefore = process.cpuUsage();
    const peerBefore = await peer.cpuMs();
    const started = wallMs();
    const failures = await (mode === 'ours' ? runOurs : runAnchor)({
      url: peer.url,
      ids,
      types: TYPES,
      c,
      ticks,
      log,
      concurrency,
    });
    const elapsed = wallMs() - started;
    const own = process.cpuUsage(cpuBefore);
    const peerCpu = ((await peer.cpuMs()) - peerBefore) / elapsed;
    const perTick = mode === 'ours' ? apps : apps * TYPES.length;
    const steady = log.steady();
    const worstLagMs = Math.max(0, ...steady.map((t) => t.lastMs));
    const pass =
      failures === 0 &&
      steady.length >= plan.steadyTicks &&
      steady.every((t) => t.reads === perTick && t.lastMs <= c.intervalMs);
    const detail = steady
      .map(
        (t) =>
          `${t.reads} reads, last ${Math.round(t.lastMs)} ms, mean ${Math.round(t.requestMs / Math.max(1, t.reads))} ms`,
      )
      .join('; ');
    return {
      pass,
      detail: `${detail}; ${failures} failed; CPU ${Math.round(((own.user + own.system) / 1000 / elapsed) * 100)}%`,
      worstLagMs,
      requests: log.requests(),
      meanRequestMs: log.meanRequestMs(),
      ownCpu: (own.user + own.system) / 1000 / elapsed,
      peerCpu,
      cpuMsPerRefresh: (own.user + own.system) / 1000 / (apps * ticks),
      requestsPerRefresh: log.requests() / (apps * ticks),
    };
  } finally {
    peer.child.disconnect();
  }
};

/** Doubles until a trial fails, then bisects to within `precision`; returns the largest passing count and its trial. */
const largest = async (plan: Plan, c: Compression, from: number, cap: number, precision: number) => {
  const name = `${plan.mode} (concurrency ${plan.concurrency})`;
  let lo: { n: number; t: Trial } | undefined;
  let hi = cap + 1;
  for (let n = from; n <= cap; n *= 2) {
    const t = await trial(plan, n, c);
    process.stderr.write(
      `${name} ${n} apps: ${t.pass ? 'ok' : 'too many'} (interval ${c.intervalMs} ms; ${t.detail})\n`,
    );
    if (!t.pass) {
      hi = n;
      break;
    }
    lo = { n, t };
  }
  while (lo && hi <= cap && hi - lo.n > Math.max(1, lo.n * precision)) {
    const n = Math.round((lo.n + hi) / 2);
    const t = await trial(plan, n, c);
    process.stderr.write(
      `${name} ${n} apps: ${t.pass ? 'ok' : 'too many'} (interval ${c.intervalMs} ms; ${t.detail})\n`,
    );
    if (t.pass) lo = { n, t };
    else hi = n;
  }
  if (!lo) throw new Error(`${name}: even ${from} apps could not be refreshed within ${c.intervalMs} ms`);
  return { ...lo, capped: hi > cap };
};

const MODE_OF_ROW: Readonly<Record<string, Mode>> = { polling: 'ours', streaming: 'stream', anchor: 'anchor' };

/** The rows `--rows` asks for, as `<mode>-<concurrency>` keys; all when absent. */
const rowsOption = (value: string | boolean | undefined): ReadonlySet<string> | undefined => {
  if (typeof value !== 'string') return undefined;
  const rows = value.split(',').filter((r) => r !== '');
  for (const r of rows) {
    const [mode = '', concurrency] = r.split('-');
    if (!(mode in MODE_OF_ROW) || (concurrency !== String(CONCURRENCY) && concurrency !== String(DEFAULT_CONCURRENCY)))
      throw new Error(
        `--rows: ${JSON.stringify(r)} is not <mode>-<concurrency> with mode polling, streaming or anchor and concurrency ${CONCURRENCY} or ${DEFAULT_CONCURRENCY}`,
      );
  }
  return new Set(rows.map((r) => r.replace(/^(\w+)-/, (_m, mode: string) => `${MODE_OF_ROW[mode]}-`)));
};

runBench(
  async ({ quick, values }): Promise<BenchTable> => {
    const factor = 20;
    const c: Compression = {
      factor,
      intervalMs: (INTERVAL_SECS * 1000) / factor,
      windowSecs: STAT_WINDOW_SECS / factor,
      periodSecs: EMISSION_PERIOD_SECS / factor,
    };
    const ticks = quick ? { warmUpTicks: 1, steadyTicks: 1 } : { warmUpTicks: 3, steadyTicks: 3 };
    const precision = quick ? 1 : 0.05;
    const rows = rowsOption(values['rows']);
    const fixedApps = values['apps'] === undefined ? undefined : Number(values['apps']) / factor;
    if (fixedApps !== undefined && !(Number.isInteger(fixedApps) && fixedApps > 0))
      throw new Error(`--apps: ${String(values['apps'])} is not a positive multiple of ${factor}`);
    const search = async (mode: Mode, concurrency: number) => {
      if (rows !== undefined && !rows.has(`${mode}-${concurrency}`)) return undefined;
      if (fixedApps !== undefined) {
        const t = await trial({ mode, concurrency, ...ticks }, fixedApps, c);
        process.stderr.write(
          `${mode} (concurrency ${concurrency}) ${fixedApps} apps: ${t.pass ? 'ok' : 'too many'} (interval ${c.intervalMs} ms; ${t.detail}; CPU per app refresh ${t.cpuMsPerRefresh.toFixed(3)} ms)\n`,
        );
        return { n: fixedApps, t, capped: false };
      }
      const anchorModel = mode === 'anchor';
      const cap = quick ? (anchorModel ? 10 : 20) : 16_000;
      return largest(
        { mode, concurrency, ...ticks },
        c,
        quick ? (anchorModel ? 5 : 10) : anchorModel ? 50 : 100,
        cap,
        precision,
      );
    };
    const ours = await search('ours', DEFAULT_CONCURRENCY);
    const equal = await search('ours', CONCURRENCY);
    const streamed = await search('stream', CONCURRENCY);
    const streamedWide = await search('stream', DEFAULT_CONCURRENCY);
    const anchor = await search('anchor', CONCURRENCY);
    const anchorWide = await search('anchor', DEFAULT_CONCURRENCY);
    const real = (n: number) => n * factor;
    const formula =
      anchor === undefined
        ? undefined
        : (CONCURRENCY * ((INTERVAL_SECS * 1000) / anchor.t.meanRequestMs)) / TYPES.length;
    type Found = NonNullable<Awaited<ReturnType<typeof search>>>;
    const passAt = (times: number, cpu: number) => times >= 5 && cpu <= 0.2;
    const judged = (found: Found, versus: Found) => ({
      times: found.n / versus.n,
      cpu: found.t.cpuMsPerRefresh / versus.t.cpuMsPerRefresh,
    });
    // Judged at equal request concurrency (the anchor's 20, and 100 for both), each time with the
    // better of this service's two modes: more apps, or as many at less CPU.
    const best = (
      polling: Found | undefined,
      streaming: Found | undefined,
    ): { found: Found; mode: string } | undefined =>
      streaming !== undefined &&
      (polling === undefined ||
        streaming.n > polling.n ||
        (streaming.n === polling.n && streaming.t.cpuMsPerRefresh < polling.t.cpuMsPerRefresh))
        ? { found: streaming, mode: 'streaming' }
        : polling === undefined
          ? undefined
          : { found: polling, mode: 'polling' };
    const at20 = best(equal, streamed);
    const at100 = best(ours, streamedWide);
    const verdictAt = (found: Found | undefined, versus: Found | undefined) => {
      if (found === undefined || versus === undefined) return false;
      const j = judged(found, versus);
      return passAt(j.times, j.cpu);
    };
    const pass = verdictAt(at20?.found, anchor) && verdictAt(at100?.found, anchorWide);
    const row = (label: string, found: Found | undefined, versus: Found | undefined, n = 0): string[] => {
      const t = found?.t;
      const apps = found ? real(found.n) : n;
      return [
        label,
        found === undefined && n === 0 ? 'not run' : `${found?.capped ? '>= ' : ''}${count(apps)} apps`,
        t ? (Number.isNaN(t.meanRequestMs) ? 'stream' : ms(t.meanRequestMs)) : '',
        t ? `${Math.round(t.ownCpu * 100)}% / ${Math.round(t.peerCpu * 100)}%` : '',
        t ? `${t.cpuMsPerRefresh.toFixed(3)} ms` : '',
        t ? t.requestsPerRefresh.toFixed(2) : '',
        found && versus ? ratio(judged(found, versus).times) : '',
        found && versus ? ratio(judged(found, versus).cpu) : '',
        found && versus ? verdict(verdictAt(found, versus)) : '',
      ];
    };
    // What limits one instance: the apps it refreshes in time with the better mode at the default
    // concurrency (round trips or streams, and CPU) against the apps that fit in memory (memory bench).
    const capacity = (found: { found: Found; mode: string }): string[] => {
      const cpuBound = Math.floor((INTERVAL_SECS * 1000) / found.found.t.cpuMsPerRefresh);
      const collectionBy =
        found.mode === 'streaming'
          ? `log-cache collection (streaming, ${SOURCES_PER_CONNECTION} apps per stream)`
          : `log-cache round trips (polling, request_concurrency ${DEFAULT_CONCURRENCY}, ${LATENCY_MS} ms per request)`;
      return [
        `capacity by ${collectionBy}: ${found.found.capped ? '>= ' : ''}${count(real(found.found.n))} apps per instance`,
        `capacity by CPU: ${count(cpuBound)} apps per instance (one core busy with collection and aggregation alone: 40 s / CPU per app refresh, ${found.mode} at concurrency ${DEFAULT_CONCURRENCY})`,
        ...(found.found.t.startMsPerApp === undefined
          ? []
          : [
              `streaming start, once per instance start: ${found.found.t.startMsPerApp.toFixed(3)} ms CPU per simulated app (one backfill read of its stat window each, while the streams already run)`,
            ]),
      ];
    };
    const partial = rows !== undefined || fixedApps !== undefined;
    return {
      title: 'Apps per instance (every metric refreshed each 40 s)',
      notes: [
        `simulated log-cache and RLP gateway in their own process, ${LATENCY_MS} ms latency per request, ${INSTANCES} instances per app, gauges every ${EMISSION_PERIOD_SECS} s (split in log-cache, unsplit on the stream); ${TYPES.length} metric types per app (${TYPES.join(', ')})`,
        `time compressed ${factor}x: a ${c.intervalMs / 1000} s interval, ${c.windowSecs} s stat window and ${c.periodSecs} s emission period, so each read carries what it carries at 40 s and a stream carries the envelopes per second of the real app count; app counts multiplied by ${factor}`,
        `a count passes when, after ${ticks.warmUpTicks} warm-up tick(s), ${ticks.steadyTicks} tick(s) in a row refresh every app (every (app, type) for the anchor) within the interval, without failures (streaming: ticks start once every app's first backfill is in, a one-off at start that the compressed interval would stretch 20-fold; then every metric of every app made between each tick and the next, at least one stream renewed, and no stream batch later than an interval after its newest envelope); doubling, then bisecting${quick ? '' : ' to 5%'}`,
        `this service, polling: collectMetrics (one incremental read per app, all types) + aggregateMetrics over the log-cache client; streaming: streamMetrics (${SOURCES_PER_CONNECTION} apps per RLP stream, one backfill read per app when its stream first opens, none when it is renewed) + aggregateMetrics; anchor model: ${CONCURRENCY} pollers, one ${STAT_WINDOW_SECS} s read per (app, type), default page of 100, same client`,
        `anchor formula (computed): ${CONCURRENCY} pollers x 40 s / ${anchor ? ms(anchor.t.meanRequestMs) : 'the mean'} measured per request / ${TYPES.length} types; CPU is the average over the largest passing trial, one core = 100%; CPU per app refresh = this process's CPU time / (apps x ticks), warm-up ticks included; streaming: the ticks' CPU / (apps x ticks), stream renewals included (every ${Math.max(1, ticks.warmUpTicks)} intervals here, every 18 in the service: a renewed stream opens before the old one closes, so no read is needed); the first backfill of every app is a one-off at start, given on its own; requests per app refresh count stream connections and reads after the start`,
        `the target takes the better mode at each concurrency: ${at20?.mode ?? 'none run'} at ${CONCURRENCY}, ${at100?.mode ?? 'none run'} at ${DEFAULT_CONCURRENCY}`,
        ...(at100 === undefined ? [] : capacity(at100)),
        ...(partial
          ? [
              `a partial run (${[rows ? `rows ${String(values['rows'])}` : '', fixedApps ? `one trial at ${count(real(fixedApps))} apps, no search` : ''].filter((p) => p !== '').join('; ')}): a count that passes is not the largest, and the target needs every row`,
            ]
          : []),
      ],
      columns: [
        'collector',
        'largest refreshed',
        'mean request',
        'CPU own / peer',
        'CPU per app refresh',
        'requests per app refresh',
        'apps vs anchor',
        'CPU vs anchor',
        'target',
      ],
      rows: [
        row(`this service, polling, concurrency ${CONCURRENCY} (the anchor's pollers)`, equal, anchor),
        row(`this service, streaming, concurrency ${CONCURRENCY}`, streamed, anchor),
        row(`anchor model, ${CONCURRENCY} pollers (measured)`, anchor, undefined),
        row(`this service, polling, concurrency ${DEFAULT_CONCURRENCY} (default)`, ours, anchorWide),
        row(`this service, streaming, concurrency ${DEFAULT_CONCURRENCY}`, streamedWide, anchorWide),
        row(`anchor model, ${DEFAULT_CONCURRENCY} pollers (measured)`, anchorWide, undefined),
        row('anchor formula (computed)', undefined, undefined, formula ?? 0),
      ],
      target: {
        text: `at equal concurrency (${CONCURRENCY} and ${DEFAULT_CONCURRENCY}) this service, in its better mode, refreshes >= 5x the anchor model's apps at <= 0.2x its CPU per app refresh`,
        pass,
      },
    };
  },
  ['rows', 'apps'],
);
