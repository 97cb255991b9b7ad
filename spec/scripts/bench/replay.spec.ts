import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { expectTable, runBenchScript } from './support/run-bench.ts';

const test = suite('bench: replay');

test('--quick generates a recording, replays every envelope and judges the wall time', async () => {
  const run = await runBenchScript('replay', ['--quick']);
  const { rows } = expectTable(
    run,
    'Replay (24 h of envelopes for 100 apps)',
    ['measure', 'value', 'vs target', 'target'],
    7,
  );
  // 5 apps x 2 instances x 120 periods of 30 s x 2 envelopes (combined shape).
  assert.match(rows.find((r) => r.startsWith('envelopes replayed'))!, /\s2,400$/);
  assert.match(rows.find((r) => r.startsWith('app metrics produced'))!, /\s[1-9][\d,]*$/);
  assert.match(rows.find((r) => r.startsWith('wall time'))!, /\d s\s+\d[\d.]*x\s+(PASS|MISS)$/);
});

test('bad sizes are refused with a reason', async () => {
  const run = await runBenchScript('replay', ['--quick', '--hours', '0']);
  assert.is(run.code, 1);
  assert.match(run.stderr, /--apps and --hours must be positive integers/);
});

test.run();
