import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { expectTable, runBenchScript } from './support/run-bench.ts';

const test = suite('bench: policy lab');

test('--quick sweeps 50 candidates over the replay recording and judges the ratio to one', async () => {
  const run = await runBenchScript('policy-lab', ['--quick']);
  const { rows } = expectTable(
    run,
    'Policy lab (50 candidates over 24 h of envelopes for 100 apps)',
    ['run', 'candidates', 'wall time', 'vs one candidate', 'target'],
    3,
  );
  assert.match(rows[0]!, /^one candidate \(the base policy\)\s+1\s+[\d.]+ s\s+1\.00x$/);
  assert.match(rows[1]!, /^sweep\s+50\s+[\d.]+ s\s+[\d.]+x\s+(PASS|MISS)$/);
  assert.match(run.stdout, /target: 50 candidates in at most 3x the wall time of one: (PASS|MISS)/);
});

test('bad sizes are refused with a reason', async () => {
  const run = await runBenchScript('policy-lab', ['--quick', '--candidates', '0']);
  assert.is(run.code, 1);
  assert.match(run.stderr, /--apps, --hours and --candidates must be positive integers/);
});

test.run();
