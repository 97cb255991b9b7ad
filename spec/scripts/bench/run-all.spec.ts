import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runBenchScript } from './support/run-bench.ts';

const test = suite('bench: run-all');

test('runs the chosen benchmarks and writes their tables with the machine into the document', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eg-run-all-'));
  try {
    const out = join(dir, 'performance.md');
    const run = await runBenchScript('run-all', [
      '--quick',
      '--only',
      'envelope-throughput,decision-latency',
      '--out',
      out,
    ]);
    assert.is(run.code, 0, run.stderr);
    const doc = await readFile(out, 'utf8');
    assert.match(doc, /^# Performance\n/);
    assert.match(doc, new RegExp(`Node ${process.version.replace(/\./g, '\\.')}`));
    assert.match(doc, /\d+ cores/);
    assert.match(
      doc,
      /\| Envelope throughput \(one core\) \| whole pipeline >= 0\.5x bare JSON\.parse \| \*\*(PASS|MISS)\*\* \|/,
    );
    assert.match(
      doc,
      /\| Decision latency .* \| steady p99 < 100 ms, and with the journal on [^|]* \| \*\*(PASS|MISS)\*\* \|/,
    );
    assert.match(doc, /```text\n[\s\S]*bare JSON\.parse[\s\S]*```/);
    assert.not.match(doc, /Memory per 10,000/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an unknown benchmark name is refused before anything runs', async () => {
  const run = await runBenchScript('run-all', ['--quick', '--only', 'envelope-throughput,nonsense']);
  assert.is(run.code, 2);
  assert.match(run.stderr, /unknown benchmark\(s\) nonsense/);
  assert.is(run.stdout, '');
});

test('each benchmark is bound by the --timeout-secs of run-all (less 5 s), and says so itself', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eg-run-all-'));
  try {
    const out = join(dir, 'performance.md');
    // decision-latency --quick takes several seconds: its own bound of 1 s ends it first.
    const run = await runBenchScript('run-all', [
      '--quick',
      '--only',
      'decision-latency',
      '--timeout-secs',
      '6',
      '--out',
      out,
    ]);
    assert.is(run.code, 1);
    assert.match(
      await readFile(out, 'utf8'),
      /\| decision-latency \| — \| failed: did not finish within 1 s \(BENCH_TIMEOUT_SECS\) \|/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a failing benchmark is reported in the document and fails the run', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eg-run-all-'));
  try {
    const out = join(dir, 'performance.md');
    const env = { ...process.env };
    delete env.TEST_DATABASE_URL;
    delete env.BENCH_DATABASE_URL;
    const run = await runBenchScript('run-all', ['--quick', '--only', 'persistence', '--out', out], { env });
    assert.is(run.code, 1);
    assert.match(
      await readFile(out, 'utf8'),
      /\| persistence \| — \| failed: persistence needs a real PostgreSQL server/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
