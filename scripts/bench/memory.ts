/**
 * Memory per 10,000 monitored apps: policies, breakers, a full metric cache (300 per app, the CF
 * default, and 100, the code default) and the aggregation buffers, each measured after a full GC
 * in a fresh child process. Usage: node scripts/bench/memory.ts [--quick]
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MemoryStep } from './memory-child.ts';
import { count, mib, ratio, runBench, verdict } from './table.ts';
import type { BenchTable } from './table.ts';

/** The memory quota of one instance in manifest.yml. */
const QUOTA_BYTES = 1500 * 1048576;
const PER = 10_000;
/** Resident memory per monitored app at cache size 300 that lets 100,000 apps fit in 1500M. */
const TARGET_KIB_PER_APP = 10;

interface ChildReport {
  readonly apps: number;
  readonly cacheSize: number;
  readonly envelopesBuffered: number;
  readonly steps: readonly MemoryStep[];
}

const measureIn = async (apps: number, cacheSize: number): Promise<ChildReport> => {
  const child = join(import.meta.dirname, 'memory-child.ts');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', child, '--apps', String(apps), '--cache-size', String(cacheSize)],
    { maxBuffer: 1 << 20, timeout: 600_000 },
  );
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as ChildReport;
};

runBench(async ({ quick }): Promise<BenchTable> => {
  // Enough apps even when quick that the metric cache fills more than one of its 1 MiB slabs at size 300.
  const apps = quick ? 1000 : PER;
  const scale = PER / apps;
  const reports = [await measureIn(apps, 300), await measureIn(apps, 100)];
  const step = (report: ChildReport, name: string): MemoryStep => {
    const found = report.steps.find((s) => s.step === name);
    if (!found) throw new Error(`memory: the child did not report step "${name}"`);
    return found;
  };
  // Live bytes: on the V8 heap, and in array buffers off it (where the metric cache lives).
  const live = (s: MemoryStep) => s.heapUsed + s.arrayBuffers;
  const delta = (report: ChildReport, name: string, previous: string) => ({
    heap: (live(step(report, name)) - live(step(report, previous))) * scale,
    rss: (step(report, name).rss - step(report, previous).rss) * scale,
  });
  const [r300, r100] = reports as [ChildReport, ChildReport];
  const part = (label: string, d: { heap: number; rss: number }): string[] => [
    label,
    mib(d.heap),
    mib(d.rss),
    '',
    '',
    '',
  ];
  const total = (report: ChildReport) => {
    const last = report.steps.at(-1)!;
    const base = step(report, 'baseline');
    const heap = (live(last) - live(base)) * scale;
    // Judged on the larger of RSS growth and live-byte growth: RSS alone can look smaller when the
    // state lands in heap pages the warm-up left free.
    const resident = Math.max(heap, (last.rss - base.rss) * scale);
    return { heap, rss: resident, process: base.rss + resident, base: base.rss };
  };
  const t300 = total(r300);
  const t100 = total(r100);
  const perAppKiB = t300.rss / PER / 1024;
  const fits = Math.floor((QUOTA_BYTES - t300.base) / (t300.rss / PER));
  const pass = perAppKiB <= TARGET_KIB_PER_APP;
  const totalRow = (label: string, t: ReturnType<typeof total>, judged: boolean): string[] => [
    label,
    mib(t.heap),
    mib(t.rss),
    mib(t.process),
    ratio(t.process / QUOTA_BYTES),
    judged ? verdict(pass) : '',
  ];
  return {
    title: 'Memory per 10,000 monitored apps',
    notes: [
      `${count(apps)} apps measured${scale === 1 ? '' : `, scaled x${scale} to 10,000`}; each part after full GCs (--expose-gc), in a fresh process per cache size`,
      `per app: a 3-rule policy, a breaker, a full metric cache, and one ${120} s stat window of split-shape gauges (4 instances, every 30 s, ${count(r300.envelopesBuffered / apps)} envelopes) in the aggregation buffer`,
      `process RSS = the process's own baseline (${mib(t300.base)}: Node, modules, a young generation grown by ingest) + the monitored state; quota = manifest.yml memory (1500M, as the anchor's MTA module)`,
      `per app: ${perAppKiB.toFixed(2)} KiB resident at cache size 300 (process RSS minus the baseline, / apps; or the live bytes when larger), ${(t100.rss / PER / 1024).toFixed(2)} KiB at 100`,
      `so one 1500M instance holds about ${count(((QUOTA_BYTES - t100.base) / t100.rss) * PER)} apps at cache size 100, and at 300:`,
      `capacity by memory: ${count(fits)} apps per 1500M instance (cache size 300); a foundation of 100,000 apps needs ${count(Math.ceil(100_000 / fits))} instance(s) by memory`,
      'the baseline is taken after a warm-up that grows the young generation to its working size, and each step after five full GCs 200 ms apart (V8 unmaps freed pages from a background thread)',
    ],
    columns: ['part', 'live (heap + buffers)', 'RSS', 'process RSS', 'vs 1500M quota', 'target'],
    rows: [
      part('policies and monitors', delta(r300, 'policies', 'baseline')),
      part('circuit breakers', delta(r300, 'breakers', 'policies')),
      part('metric cache, 300 per app (CF default)', delta(r300, 'metric cache', 'breakers')),
      part('metric cache, 100 per app (code default)', delta(r100, 'metric cache', 'breakers')),
      part('aggregation buffers', delta(r300, 'aggregation buffers', 'metric cache')),
      totalRow('total, cache 300 (default); RSS = max(RSS, live)', t300, true),
      totalRow('total, cache 100; RSS = max(RSS, live)', t100, false),
    ],
    target: {
      text: `<= ${TARGET_KIB_PER_APP} KiB resident per monitored app at cache size 300 (100,000 apps in 1500M)`,
      pass,
    },
  };
});
