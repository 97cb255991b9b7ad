/**
 * Where a profiled run's CPU went, by part of the replay: the self time of every sampled function
 * (all threads' .cpuprofile files of one run, written by `node --cpu-prof`), idle left out, summed
 * by the file it is in.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const CPU_PARTS = [
  'reading',
  'parsing',
  'aggregation',
  'evaluation',
  'storage',
  'replay plumbing',
  'garbage collection',
  'start-up and other',
] as const;
export type CpuPart = (typeof CPU_PARTS)[number];

const RULES: readonly [CpuPart, RegExp][] = [
  ['reading', /read-recording-lines|node:zlib|node:fs|internal\/fs|internal\/streams|aggregated-cache/],
  [
    'parsing',
    /line-scanner|parse-envelope|read-common-envelope|tag-cache|wire-values|parse-recording-line|bigint-json/,
  ],
  [
    'aggregation',
    /aggregate-metrics|window-app-metrics|cache-metrics|lib\/core\/metrics\/|lib\/core\/evaluation\/|metric-path|replay-aggregation/,
  ],
  [
    'evaluation',
    /evaluate-|judge-breach|scale-on-breach|lib\/core\/policy\/|lib\/core\/scaling\/|scaling-engine-model|query-app-metrics|monitors/,
  ],
  [
    'storage',
    /persist-metrics|memory-app-metric-store|write-behind-store|app-metric-store|app-metric-limits|write-queue|write-in-batches|postgres/,
  ],
  ['replay plumbing', /lib\/replay\/|rxjs|lib\/tools\/report\/|replay-graph|emit-at-ticks/],
];

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const partOf = (node: ProfileNode): CpuPart | undefined => {
  const { functionName, url } = node.callFrame;
  if (functionName === '(idle)') return undefined;
  if (functionName === '(garbage collector)') return 'garbage collection';
  // Structured clone of frames to and from the worker threads.
  if (functionName === 'postMessage' && url === '') return 'replay plumbing';
  for (const [part, pattern] of RULES) if (pattern.test(url)) return part;
  return 'start-up and other';
};

/** Milliseconds of sampled CPU per part, over every profile in `dir`. */
export const cpuSplit = async (dir: string): Promise<Record<CpuPart, number>> => {
  const totals = Object.fromEntries(CPU_PARTS.map((p) => [p, 0])) as Record<CpuPart, number>;
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(await readFile(join(dir, name), 'utf8')) as Profile;
    const parts = new Map<number, CpuPart | undefined>(profile.nodes.map((n) => [n.id, partOf(n)]));
    for (let i = 0; i < profile.samples.length; i++) {
      const part = parts.get(profile.samples[i]!);
      if (part) totals[part] += (profile.timeDeltas[i] ?? 0) / 1000;
    }
  }
  return totals;
};
