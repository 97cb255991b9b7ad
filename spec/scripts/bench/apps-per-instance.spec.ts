import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { expectTable, runBenchScript } from './support/run-bench.ts';

const test = suite('bench: apps per instance');

test('--quick searches both collectors against the simulated log-cache and prints the anchor formula', async () => {
  const run = await runBenchScript('apps-per-instance', ['--quick'], { timeoutMs: 150_000 });
  const { rows } = expectTable(
    run,
    'Apps per instance (every metric refreshed each 40 s)',
    ['collector', 'largest refreshed', 'mean request', 'CPU own / peer', 'vs anchor (measured)', 'target'],
    4,
  );
  assert.match(
    rows[0]!,
    /^this service, request_concurrency 100 \(default\)\s+(>= )?[\d,]+ apps\s+[\d.]+ ms\s+\d+% \/ \d+%\s+[\d.]+x\s+(PASS|MISS)$/,
  );
  assert.match(
    rows[1]!,
    /^this service, request_concurrency 20 \(as many as the anchor's pollers\)\s+(>= )?[\d,]+ apps\s+[\d.]+ ms\s+\d+% \/ \d+%\s+[\d.]+x$/,
  );
  assert.match(rows[2]!, /^anchor model, 20 pollers \(measured\)\s+(>= )?[\d,]+ apps\s.*\s1\.00x$/);
  assert.match(rows[3]!, /^anchor formula \(computed\)\s+[\d,]+ apps\s+[\d.]+x$/);
  // Every trial is reported as it runs, for both collectors.
  assert.match(run.stderr, /^ours \(concurrency 20\) \d+ apps: (ok|too many)/m);
  assert.match(run.stderr, /^anchor \(concurrency 20\) \d+ apps: (ok|too many)/m);
});

test.run();
