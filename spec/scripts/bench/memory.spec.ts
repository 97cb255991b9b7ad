import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { expectTable, runBenchScript } from './support/run-bench.ts';

const test = suite('bench: memory');

test('--quick prints each part of the monitored state and both cache sizes, scaled to 10,000 apps', async () => {
  const run = await runBenchScript('memory', ['--quick']);
  const { rows } = expectTable(
    run,
    'Memory per 10,000 monitored apps',
    ['part', 'live (heap + buffers)', 'RSS', 'process RSS', 'vs 1500M quota', 'target'],
    7,
  );
  for (const part of [
    'policies and monitors',
    'circuit breakers',
    'metric cache, 300 per app',
    'metric cache, 100 per app',
    'aggregation buffers',
  ]) {
    assert.ok(
      rows.some((r) => r.startsWith(part) && / MiB\s/.test(r)),
      `row ${part}`,
    );
  }
  assert.match(rows.find((r) => r.startsWith('total, cache 300'))!, /MiB\s+\d[\d,.]*x\s+(PASS|MISS)$/);
  const heapOf = (prefix: string) =>
    Number(
      rows
        .find((r) => r.startsWith(prefix))!
        .split(/\s{2,}/)[1]!
        .replace(/[, MiB]/g, ''),
    );
  assert.ok(heapOf('metric cache, 300') > heapOf('metric cache, 100'), 'three times the entries take more memory');
  assert.match(run.stdout, /^ {3}per app: [\d.]+ KiB resident at cache size 300/m);
  assert.match(
    run.stdout,
    /^ {3}capacity by memory: [\d,]+ apps per 1500M instance \(cache size 300\); a foundation of 100,000 apps needs [\d,]+ instance\(s\) by memory$/m,
  );
  assert.match(
    run.stdout,
    /^target: <= 10 KiB resident per monitored app at cache size 300 \(100,000 apps in 1500M\): (PASS|MISS)$/m,
  );
});

test.run();
