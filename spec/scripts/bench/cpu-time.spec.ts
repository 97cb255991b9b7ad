import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { cpuSince, sampleCpu } from '../../../scripts/bench/cpu-time.ts';

const cpu = suite('cpuSince');

cpu('counts the CPU this thread spent, within what the process and the machine spent', () => {
  const start = sampleCpu();
  // Spin until the kernel has charged this thread 150 ms of CPU (wall time varies with the
  // machine's load; the CPU charged does not), bounded by 20 s of wall time.
  const before = process.threadCpuUsage();
  const giveUpAt = Date.now() + 20_000;
  let spin = 0;
  while (Date.now() < giveUpAt) {
    spin += 1;
    const used = process.threadCpuUsage(before);
    if (used.user + used.system >= 150_000) break;
  }
  const spent = cpuSince(start);
  assert.ok(spin > 0);
  assert.ok(spent.threadMs >= 100, `thread ${spent.threadMs} ms`);
  assert.ok(spent.processMs >= spent.threadMs - 1, `process ${spent.processMs} ms`);
  if (existsSync('/proc/stat'))
    assert.ok(spent.machineBusyMs !== undefined && spent.machineBusyMs >= 100, `machine ${spent.machineBusyMs} ms`);
  else assert.is(spent.machineBusyMs, undefined);
});

cpu.run();
