import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { expectTable, runBenchScript } from './support/run-bench.ts';

const test = suite('bench: decision latency');

test('--quick prints measured percentiles, journal off and on, the tick burst with its stalls, and the computed anchor tick model', async () => {
  const run = await runBenchScript('decision-latency', ['--quick']);
  const { rows } = expectTable(
    run,
    'Decision latency (breach-completing metric to scaling-engine POST)',
    [
      'scenario',
      'breaches',
      'p50',
      'p90',
      'p99',
      'max',
      'longest stall',
      'anchor p99 / p99',
      'p99 / journal off',
      'target',
    ],
    8,
  );
  assert.match(rows[0]!, /^this service, steady\s+30\s/);
  assert.match(rows[0]!, /(PASS|MISS)\s*$/);
  assert.match(rows[1]!, /^this service, steady, journal on\s+30\s.*x\s+(PASS|MISS)\s*$/);
  assert.match(rows[2]!, /^this service, steady, journal on, database stalled\s+30\s.*x\s+(PASS|MISS)\s*$/);
  assert.match(rows[3]!, /^this service, burst\s+20\s/);
  assert.match(rows[4]!, /^this service, burst, journal on\s+20\s.*x\s*$/);
  // The tick of 1,000 apps, 100 of them breaching: judged with slices, shown without.
  assert.match(rows[5]!, /^tick of 1,000 apps, sliced\s+100\s.*\s[\d.,]+ ms\s+[\d.,]+x\s+(PASS|MISS)$/);
  assert.match(rows[6]!, /^tick of 1,000 apps, unsliced\s+100\s.*\s[\d.,]+ ms\s+[\d.,]+x$/);
  assert.match(
    run.stdout,
    /^target: steady p99 < 100 ms, and with the journal on .*; tick of 1,000 apps: p99 to POST sent < 250 ms and no stall > 50 ms: (PASS|MISS)$/m,
  );
  // Uniform wait over a 60 s tick: p50 30 s, p90 54 s, p99 59.4 s, max 60 s.
  assert.match(rows[7]!, /^anchor tick model \(computed\)\s.*30\.0 s\s+54\.0 s\s+59\.4 s\s+60\.0 s\s+1\.00x\s*$/);
  // The journal really wrote: three rows per app (breach started, call sent, answered).
  assert.match(run.stdout, /writing to the embedded database \(150 rows written, 0 dropped\)/);
});

test('a run that overstays BENCH_TIMEOUT_SECS is ended with a reason', async () => {
  const run = await runBenchScript('decision-latency', [], { env: { ...process.env, BENCH_TIMEOUT_SECS: '1' } });
  assert.is(run.code, 1);
  assert.match(run.stderr, /benchmark failed: did not finish within 1 s/);
  assert.is(run.stdout, '');
});

test.run();
