import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { expectTable, runBenchScript } from './support/run-bench.ts';

const test = suite('bench: apps per instance');

test('--quick searches both collectors against the simulated log-cache and prints the anchor formula', async () => {
  const run = await runBenchScript('apps-per-instance', ['--quick'], { timeoutMs: 150_000 });
  const { rows } = expectTable(
    run,
    'Apps per instance (every metric refreshed each 40 s)',
    [
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
    5,
  );
  // Judged at equal concurrency: each service row against the anchor row below it.
  const measured = String.raw`(>= )?[\d,]+ apps\s+[\d.]+ ms\s+\d+% \/ \d+%\s+[\d.]+ ms\s+[\d.]+`;
  assert.match(
    rows[0]!,
    new RegExp(
      String.raw`^this service, concurrency 20 \(the anchor's pollers\)\s+${measured}\s+[\d.]+x\s+[\d.]+x\s+(PASS|MISS)$`,
    ),
  );
  assert.match(rows[1]!, new RegExp(String.raw`^anchor model, 20 pollers \(measured\)\s+${measured}$`));
  assert.match(
    rows[2]!,
    new RegExp(String.raw`^this service, concurrency 100 \(default\)\s+${measured}\s+[\d.]+x\s+[\d.]+x\s+(PASS|MISS)$`),
  );
  assert.match(rows[3]!, new RegExp(String.raw`^anchor model, 100 pollers \(measured\)\s+${measured}$`));
  assert.match(rows[4]!, /^anchor formula \(computed\)\s+[\d,]+ apps$/);
  // The service makes one request per app refresh, the anchor one per metric type.
  assert.match(rows[0]!, /\s1\.00\s/);
  assert.match(rows[1]!, /\s3\.00$/);
  assert.match(run.stdout, /^ {3}capacity by log-cache round trips: (>= )?[\d,]+ apps per instance/m);
  assert.match(run.stdout, /^ {3}capacity by CPU: [\d,]+ apps per instance/m);
  // Every trial is reported as it runs, for both collectors.
  assert.match(run.stderr, /^ours \(concurrency 20\) \d+ apps: (ok|too many)/m);
  assert.match(run.stderr, /^anchor \(concurrency 20\) \d+ apps: (ok|too many)/m);
  assert.match(run.stderr, /^anchor \(concurrency 100\) \d+ apps: (ok|too many)/m);
});

test.run();
