import type { Envelope } from '../../../core/model/envelope.ts';
import { at, containerEnvelopes, MIB } from './envelope-builders.ts';
import type { AppIdentity, ContainerReading } from './envelope-builders.ts';
import type { Prng } from './prng.ts';

export interface ContainerLoad {
  readonly app: AppIdentity;
  readonly start: bigint;
  readonly durationSecs: number;
  readonly shape: 'split' | 'combined';
  /** cpu percent of one core, at this many seconds from the start. */
  readonly cpu: (seconds: number, instance: number) => number;
  /** bytes in use. */
  readonly memory: (seconds: number, instance: number) => number;
  readonly memoryQuota?: number;
  /** The rep's emission period; 15 s by default. */
  readonly periodSecs?: number;
}

/**
 * Rep container metrics for every instance of an app over the sample's duration. Instances emit on
 * their own phase with a little jitter, as cells do.
 */
export const containerLoad = (load: ContainerLoad, rng: Prng): Envelope[] => {
  const period = load.periodSecs ?? 15;
  const quota = load.memoryQuota ?? 1024 * MIB;
  const out: Envelope[] = [];
  load.app.instanceGuids.forEach((_guid, instance) => {
    const phase = 1.7 + instance * (period / load.app.instanceGuids.length) + rng.between(0, 1);
    const diskBase = (140 + instance * 7) * MIB;
    for (let seconds = phase; seconds < load.durationSecs; seconds += period + rng.noise(0.05)) {
      const cpu = Math.max(0.05, load.cpu(seconds, instance));
      const reading: ContainerReading = {
        cpu,
        memory: Math.max(MIB, load.memory(seconds, instance)),
        memoryQuota: quota,
        disk: diskBase + seconds * 1024,
        diskQuota: 1024 * MIB,
        cpuEntitlement: cpu * 0.8,
        ageNs: Math.round((3600 + seconds) * 1e9),
      };
      out.push(
        ...containerEnvelopes(
          load.app,
          instance,
          at(load.start, seconds, load.shape === 'split' ? 'us' : 'ns'),
          reading,
          load.shape,
          rng,
        ),
      );
    }
  });
  return out;
};
