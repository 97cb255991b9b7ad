/**
 * Apps per instance: the most apps whose every metric is refreshed each aggregation interval, with
 * a simulated log-cache (own process, 20 ms latency, 4 instances per app) — this service's
 * collection (collectMetrics + aggregateMetrics over the real client) next to a faithful small model
 * of the anchor (20 pollers, one read per app and metric type). Time is compressed: interval,
 * stat window and emission period are all divided by the same factor, so every read carries what
 * it would carry at 40 s, and the app count found is multiplied back.
 * Usage: node scripts/bench/apps-per-instance.ts [--quick]
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createTickLog, runAnchor, runOurs, wallMs } from './collection-models.ts';
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
  /** Log-cache requests per app refresh. */
  readonly requestsPerRefresh: number;
}

const startPeer = async (
  apps: number,
  c: Compression,
): Promise<{ url: string; child: ChildProcess; cpuMs: () => Promise<number> }> => {
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
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
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
  return { url, child, cpuMs };
};

interface Plan {
  readonly mode: 'ours' | 'anchor';
  readonly concurrency: number;
  readonly warmUpTicks: number;
  readonly steadyTicks: number;
}

const trial = async (plan: Plan, apps: number, c: Compression): Promise<Trial> => {
  const { mode, concurrency } = plan;
  const ticks = plan.warmUpTicks + plan.steadyTicks;
  const peer = await startPeer(apps, c);
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

runBench(async ({ quick }): Promise<BenchTable> => {
  const factor = 20;
  const c: Compression = {
    factor,
    intervalMs: (INTERVAL_SECS * 1000) / factor,
    windowSecs: STAT_WINDOW_SECS / factor,
    periodSecs: EMISSION_PERIOD_SECS / factor,
  };
  const ticks = quick ? { warmUpTicks: 1, steadyTicks: 1 } : { warmUpTicks: 3, steadyTicks: 3 };
  const precision = quick ? 1 : 0.05;
  const ours = await largest(
    { mode: 'ours', concurrency: DEFAULT_CONCURRENCY, ...ticks },
    c,
    quick ? 10 : 100,
    quick ? 20 : 16_000,
    precision,
  );
  const equal = await largest(
    { mode: 'ours', concurrency: CONCURRENCY, ...ticks },
    c,
    quick ? 10 : 100,
    quick ? 20 : 16_000,
    precision,
  );
  const anchor = await largest(
    { mode: 'anchor', concurrency: CONCURRENCY, ...ticks },
    c,
    quick ? 5 : 50,
    quick ? 10 : 16_000,
    precision,
  );
  const anchorWide = await largest(
    { mode: 'anchor', concurrency: DEFAULT_CONCURRENCY, ...ticks },
    c,
    quick ? 5 : 50,
    quick ? 10 : 16_000,
    precision,
  );
  const real = (n: number) => n * factor;
  const formula = (CONCURRENCY * ((INTERVAL_SECS * 1000) / anchor.t.meanRequestMs)) / TYPES.length;
  // Judged at equal request concurrency: the anchor's 20, and 100 for both.
  const timesAt20 = equal.n / anchor.n;
  const timesAt100 = ours.n / anchorWide.n;
  const cpuAt20 = equal.t.cpuMsPerRefresh / anchor.t.cpuMsPerRefresh;
  const cpuAt100 = ours.t.cpuMsPerRefresh / anchorWide.t.cpuMsPerRefresh;
  const passAt = (times: number, cpu: number) => times >= 5 && cpu <= 0.2;
  const pass = passAt(timesAt20, cpuAt20) && passAt(timesAt100, cpuAt100);
  const row = (
    label: string,
    n: number,
    capped: boolean,
    t: Trial | undefined,
    versus: { readonly n: number; readonly t: Trial } | undefined,
  ): string[] => [
    label,
    `${capped ? '>= ' : ''}${count(n)} apps`,
    t ? ms(t.meanRequestMs) : '',
    t ? `${Math.round(t.ownCpu * 100)}% / ${Math.round(t.peerCpu * 100)}%` : '',
    t ? `${t.cpuMsPerRefresh.toFixed(3)} ms` : '',
    t ? t.requestsPerRefresh.toFixed(2) : '',
    versus ? ratio(n / real(versus.n)) : '',
    versus && t ? ratio(t.cpuMsPerRefresh / versus.t.cpuMsPerRefresh) : '',
    versus && t ? verdict(passAt(n / real(versus.n), t.cpuMsPerRefresh / versus.t.cpuMsPerRefresh)) : '',
  ];
  // What limits one instance: the apps it refreshes in time (round trips at the given concurrency,
  // CPU) against the apps that fit in memory (memory bench); printed for docs/performance.md.
  const cpuBound = Math.floor((INTERVAL_SECS * 1000) / ours.t.cpuMsPerRefresh);
  return {
    title: 'Apps per instance (every metric refreshed each 40 s)',
    notes: [
      `simulated log-cache in its own process, ${LATENCY_MS} ms latency per request, ${INSTANCES} instances per app, split-shape gauges every ${EMISSION_PERIOD_SECS} s; ${TYPES.length} metric types per app (${TYPES.join(', ')})`,
      `time compressed ${factor}x: a ${c.intervalMs / 1000} s interval, ${c.windowSecs} s stat window and ${c.periodSecs} s emission period, so each read carries what it carries at 40 s; app counts multiplied by ${factor}`,
      `a count passes when, after ${ticks.warmUpTicks} warm-up tick(s), ${ticks.steadyTicks} tick(s) in a row read every app (every (app, type) for the anchor) within the interval, without failures; doubling, then bisecting${quick ? '' : ' to 5%'}`,
      `this service: collectMetrics (one incremental read per app, all types) + aggregateMetrics over the log-cache client; anchor model: ${CONCURRENCY} pollers, one ${STAT_WINDOW_SECS} s read per (app, type), default page of 100, same client`,
      `anchor formula (computed): ${CONCURRENCY} pollers x 40 s / ${ms(anchor.t.meanRequestMs)} measured per request / ${TYPES.length} types; CPU is the average over the largest passing trial, one core = 100%; CPU per app refresh = this process's CPU time / (apps x ticks), warm-up ticks included`,
      `capacity by log-cache round trips: ${ours.capped ? '>= ' : ''}${count(real(ours.n))} apps per instance (request_concurrency ${DEFAULT_CONCURRENCY}, ${LATENCY_MS} ms per request)`,
      `capacity by CPU: ${count(cpuBound)} apps per instance (one core busy with collection and aggregation alone: 40 s / CPU per app refresh at concurrency ${DEFAULT_CONCURRENCY})`,
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
      row(
        `this service, concurrency ${CONCURRENCY} (the anchor's pollers)`,
        real(equal.n),
        equal.capped,
        equal.t,
        anchor,
      ),
      row(`anchor model, ${CONCURRENCY} pollers (measured)`, real(anchor.n), anchor.capped, anchor.t, undefined),
      row(`this service, concurrency ${DEFAULT_CONCURRENCY} (default)`, real(ours.n), ours.capped, ours.t, anchorWide),
      row(
        `anchor model, ${DEFAULT_CONCURRENCY} pollers (measured)`,
        real(anchorWide.n),
        anchorWide.capped,
        anchorWide.t,
        undefined,
      ),
      row('anchor formula (computed)', formula, false, undefined, undefined),
    ],
    target: {
      text: `at equal concurrency (${CONCURRENCY} and ${DEFAULT_CONCURRENCY}) this service refreshes >= 5x the anchor model's apps at <= 0.2x its CPU per app refresh`,
      pass,
    },
  };
});
