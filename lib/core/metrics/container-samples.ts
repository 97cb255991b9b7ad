import { CONTAINER_GAUGE_NAMES, METRIC_UNITS } from './metric-types.ts';

const BYTES_PER_MB = 1048576;

/** The container gauges (`CONTAINER_GAUGE_NAMES`) by slot, as `containerSampleValue` reads them. */
export const CONTAINER_GAUGES = ['memory', 'memory_quota', 'cpu', 'cpu_entitlement', 'disk', 'disk_quota'] as const;
const [MEMORY, MEMORY_QUOTA, CPU, CPU_ENTITLEMENT, DISK, DISK_QUOTA] = [0, 1, 2, 3, 4, 5] as const;

/** Container sample names in the anchor's order (docs/anchor-compatibility.md#envelope-samples). */
export const CONTAINER_SAMPLES = ['memoryused', 'memoryutil', 'cpu', 'cpuutil', 'diskutil', 'disk'] as const;

const SLOTS: ReadonlyMap<string, number> = new Map(CONTAINER_GAUGES.map((name, slot) => [name, slot]));
if (SLOTS.size !== CONTAINER_GAUGE_NAMES.size || CONTAINER_GAUGES.some((name) => !CONTAINER_GAUGE_NAMES.has(name))) {
  throw new Error('container-samples: CONTAINER_GAUGES must list exactly CONTAINER_GAUGE_NAMES');
}
const SAMPLE_INDEX: ReadonlyMap<string, number> = new Map(CONTAINER_SAMPLES.map((name, index) => [name, index]));

/** The slot of a container gauge name, or -1 for any other name. */
export const containerSlotOf = (gaugeName: string): number => SLOTS.get(gaugeName) ?? -1;

/** The index of a container sample name in `CONTAINER_SAMPLES`, or -1. */
export const containerSampleIndexOf = (name: string): number => SAMPLE_INDEX.get(name) ?? -1;

const UNITS: readonly string[] = CONTAINER_SAMPLES.map((name) => METRIC_UNITS[name]);

export const containerSampleUnit = (index: number): string => UNITS[index]!;

const has = (present: number, slot: number): boolean => (present & (1 << slot)) !== 0;

/**
 * One container sample's value before the ceiling, from the merged gauges of one instance at one
 * instant (`values[slot]`, counted only where bit `slot` of `present` is set), or undefined when
 * the sample is not produced (docs/anchor-compatibility.md#metric-types). The arithmetic order
 * matches the anchor (`memory / quota * 100`, left to right), which decides the ceiling at exact
 * ratios such as 10.2 MiB of 20 MiB (51, not 52). A missing `memory`/`disk` counts as 0 for the
 * ratios; a zero or missing quota yields no ratio.
 */
export const containerSampleValue = (index: number, values: Float64Array, present: number): number | undefined => {
  switch (index) {
    case 0:
      return has(present, MEMORY) ? values[MEMORY]! / BYTES_PER_MB : undefined;
    case 1: {
      const quota = values[MEMORY_QUOTA]!;
      return !has(present, MEMORY_QUOTA) || quota === 0
        ? undefined
        : ((has(present, MEMORY) ? values[MEMORY]! : 0) / quota) * 100;
    }
    case 2:
      return has(present, CPU) ? values[CPU] : undefined;
    case 3:
      return has(present, CPU_ENTITLEMENT) ? values[CPU_ENTITLEMENT] : undefined;
    case 4: {
      const quota = values[DISK_QUOTA]!;
      return !has(present, DISK_QUOTA) || quota === 0
        ? undefined
        : ((has(present, DISK) ? values[DISK]! : 0) / quota) * 100;
    }
    case 5:
      return has(present, DISK) ? values[DISK]! / BYTES_PER_MB : undefined;
    default:
      return undefined;
  }
};
