import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { expectTable, runBenchScript } from './support/run-bench.ts';

const test = suite('bench: envelope throughput');

test('--quick prints every stage next to bare JSON.parse, the whole pipeline judged against half of it', async () => {
  const run = await runBenchScript('envelope-throughput', ['--quick']);
  const { bench, rows } = expectTable(
    run,
    'Envelope throughput (one core)',
    ['stage', 'time', 'throughput', 'vs bare JSON.parse', 'target'],
    5,
  );
  assert.match(rows[0]!, /^bare JSON\.parse .* env\/s\s+1\.00x\s*$/);
  const judged = rows.filter((r) => /PASS|MISS/.test(r));
  assert.is(judged.length, 1);
  assert.match(judged[0]!, /^whole pipeline/);
  assert.ok(rows.every((r) => / ms\s/.test(r) && /env\/s/.test(r)));
  assert.is(bench.target, 'whole pipeline >= 0.5x bare JSON.parse');
});

test('an unknown option is a usage error (exit 2), not a measurement', async () => {
  const run = await runBenchScript('envelope-throughput', ['--quik']);
  assert.is(run.code, 2);
  assert.match(run.stderr, /envelope-throughput: Unknown option '--quik'/);
  assert.match(run.stderr, /Usage: node scripts\/bench\/envelope-throughput\.ts/);
  assert.is(run.stdout, '');
});

test.run();
