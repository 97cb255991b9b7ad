import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { expectTable, runBenchScript } from './support/run-bench.ts';

const test = suite('bench: apps per instance');

test('--quick searches both modes of this service and the anchor against the simulated peers', async () => {
  const run = await runBenchScript('apps-per-instance', ['--quick'], { timeoutMs: 170_000 });
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
    7,
  );
  // Judged at equal concurrency: each service row against the anchor row below it.
  const figures = (request: string) => String.raw`(>= )?[\d,]+ apps\s+${request}\s+\d+% \/ \d+%\s+[\d.]+ ms\s+[\d.]+`;
  const measured = figures(String.raw`[\d.]+ ms`);
  const streamed = figures('stream');
  const judged = String.raw`\s+[\d.]+x\s+[\d.]+x\s+(PASS|MISS)$`;
  assert.match(
    rows[0]!,
    new RegExp(String.raw`^this service, polling, concurrency 20 \(the anchor's pollers\)\s+${measured}${judged}`),
  );
  assert.match(rows[1]!, new RegExp(String.raw`^this service, streaming, concurrency 20\s+${streamed}${judged}`));
  assert.match(rows[2]!, new RegExp(String.raw`^anchor model, 20 pollers \(measured\)\s+${measured}$`));
  assert.match(
    rows[3]!,
    new RegExp(String.raw`^this service, polling, concurrency 100 \(default\)\s+${measured}${judged}`),
  );
  assert.match(rows[4]!, new RegExp(String.raw`^this service, streaming, concurrency 100\s+${streamed}${judged}`));
  assert.match(rows[5]!, new RegExp(String.raw`^anchor model, 100 pollers \(measured\)\s+${measured}$`));
  assert.match(rows[6]!, /^anchor formula \(computed\)\s+[\d,]+ apps$/);
  // Polling makes one request per app refresh, the anchor one per metric type, streaming fewer
  // than one (after the start, only the connections of the stream renewals).
  assert.match(rows[0]!, /\s1\.00\s/);
  assert.match(rows[2]!, /\s3\.00$/);
  const streamingRequests = Number(/\s(\d\.\d\d)\s+[\d.]+x/.exec(rows[1]!)?.[1]);
  assert.ok(streamingRequests > 0 && streamingRequests < 1, rows[1]);
  assert.match(
    run.stdout,
    /^ {3}the target takes the better mode at each concurrency: (polling|streaming) at 20, (polling|streaming) at 100$/m,
  );
  assert.match(
    run.stdout,
    /^ {3}capacity by log-cache (round trips|collection) \([^)]*\): (>= )?[\d,]+ apps per instance/m,
  );
  assert.match(run.stdout, /^ {3}capacity by CPU: [\d,]+ apps per instance/m);
  // Every trial is reported as it runs, for every collector.
  assert.match(run.stderr, /^ours \(concurrency 20\) \d+ apps: (ok|too many)/m);
  assert.match(run.stderr, /^stream \(concurrency 20\) \d+ apps: (ok|too many) \(interval 2000 ms; \d+ metrics/m);
  assert.match(run.stderr, /^stream \(concurrency 100\) \d+ apps: (ok|too many)/m);
  assert.match(run.stderr, /^anchor \(concurrency 20\) \d+ apps: (ok|too many)/m);
  assert.match(run.stderr, /^anchor \(concurrency 100\) \d+ apps: (ok|too many)/m);
});

test.run();
