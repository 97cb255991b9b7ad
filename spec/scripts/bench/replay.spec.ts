import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeEnvelopeLine } from '../../../lib/core/envelope/envelope-json.ts';
import { benchLine, tagsJson } from '../../../scripts/bench/replay-shapes.ts';
import { appEnvelopes, benchApp, BENCH_START_NS } from '../../../scripts/bench/synthetic-apps.ts';
import { expectTable, runBenchScript } from './support/run-bench.ts';

const test = suite('bench: replay');

test('the bench recording lines are those encodeEnvelopeLine writes, in both shapes', () => {
  for (const shape of ['split', 'combined'] as const) {
    const envelopes = appEnvelopes(benchApp(3, 2), BENCH_START_NS, BENCH_START_NS + 120_000_000_000n, 30, shape);
    assert.ok(envelopes.length >= (shape === 'split' ? 72 : 16));
    for (const e of envelopes) assert.is(benchLine(e, tagsJson(e.tags)), encodeEnvelopeLine(e));
  }
});

test('--quick replays both shapes, first and from the cache, and judges every target', async () => {
  const run = await runBenchScript('replay', ['--quick'], { timeoutMs: 300_000 });
  const { rows } = expectTable(
    run,
    'Replay (24 h of envelopes for 100 apps)',
    ['measure', 'split shape', 'combined shape', 'target', 'verdict'],
    20,
  );
  const row = (start: string) => {
    const found = rows.find((r) => r.startsWith(start));
    assert.ok(found, `a row ${start}`);
    return found!;
  };
  // 5 apps x 2 instances x 120 periods of 30 s x 9 envelopes (split) or 2 (combined).
  assert.match(row('envelopes (lines)'), /\s10,800\s+2,400$/);
  assert.match(row('first replay / bare JSON.parse'), /\d[\d,.]*x\s+\d[\d,.]*x\s+<= 1\.00x \(split\)\s+(PASS|MISS)$/);
  assert.match(row('repeat replay / bare JSON.parse'), /<= 0\.25x \(split\)\s+(PASS|MISS)$/);
  assert.match(row('peak RSS of the replay'), /MiB\s+<= 500 MiB \(split\)\s+(PASS|MISS)$/);
  assert.match(row('first replay: CPU'), /s \(main [\d.]+ s, aggregation [\d.]+ s, scanner [\d.]+ s\)/);
  for (const part of ['reading', 'parsing', 'aggregation', 'evaluation', 'storage'])
    assert.match(row(`CPU split of a profiled first replay: ${part}`), /\d+\.\d %$/);
  assert.match(row('npm run replay (spike): first output'), /s\s+<= 1\.00 s\s+(PASS|MISS)$/);
  assert.match(row('npm run replay (spike): done'), /s\s+<= 1\.50 s\s+(PASS|MISS)$/);
});

test('bad sizes are refused with a reason', async () => {
  const run = await runBenchScript('replay', ['--quick', '--hours', '0']);
  assert.is(run.code, 1);
  assert.match(run.stderr, /--apps and --hours must be positive integers/);
});

test.run();
