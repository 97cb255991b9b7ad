import { readFileSync } from 'node:fs';

/**
 * Where a benchmark's CPU went: this thread, this process (its worker threads included), and every
 * core of the machine (other processes, such as the embedded database's, included). The machine
 * figure comes from /proc/stat and is absent where that file is.
 */
export interface CpuSample {
  readonly threadMs: number;
  readonly processMs: number;
  readonly machineBusyMs: number | undefined;
}

const CLOCK_TICK_MS = 10;

const machineBusyMs = (): number | undefined => {
  try {
    // user nice system idle iowait irq softirq steal …: busy is everything but idle and iowait.
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return (user! + nice! + system! + irq! + softirq! + steal!) * CLOCK_TICK_MS;
  } catch {
    return undefined;
  }
};

export const sampleCpu = (): CpuSample => {
  const thread = process.threadCpuUsage();
  const all = process.cpuUsage();
  return {
    threadMs: (thread.user + thread.system) / 1000,
    processMs: (all.user + all.system) / 1000,
    machineBusyMs: machineBusyMs(),
  };
};

export const cpuSince = (start: CpuSample): CpuSample => {
  const now = sampleCpu();
  return {
    threadMs: now.threadMs - start.threadMs,
    processMs: now.processMs - start.processMs,
    machineBusyMs:
      now.machineBusyMs === undefined || start.machineBusyMs === undefined
        ? undefined
        : now.machineBusyMs - start.machineBusyMs,
  };
};
