import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { expectTable, runBenchScript } from './support/run-bench.ts';

const test = suite('bench: persistence');

test('without a PostgreSQL server it fails and says how to give one', async () => {
  const env = { ...process.env };
  delete env.TEST_DATABASE_URL;
  delete env.BENCH_DATABASE_URL;
  const run = await runBenchScript('persistence', ['--quick'], { env });
  assert.is(run.code, 1);
  assert.match(
    run.stderr,
    /persistence needs a real PostgreSQL server .*--database-url .*BENCH_DATABASE_URL .*TEST_DATABASE_URL/,
  );
  assert.is(run.stdout, '');
});

if (process.env.TEST_DATABASE_URL) {
  test('--quick prints saveBulk next to COPY of the same rows, in a schema of its own that is dropped', async () => {
    const run = await runBenchScript('persistence', ['--quick']);
    const { rows } = expectTable(
      run,
      'Persistence (app_metric rows into PostgreSQL)',
      ['method', 'median time', 'rows/s', 'vs COPY (same batches)', 'target'],
      5,
    );
    assert.match(rows[0]!, /^saveBulk, batches of 5,000 \(service default\)\s.*rows\/s\s+[\d.]+x\s+(PASS|MISS)$/);
    assert.match(rows[1]!, /^COPY FROM STDIN, batches of 5,000\s.*1\.00x$/);
    const schema = /private schema (eg_bench_[0-9a-f]+)/.exec(run.stdout)?.[1];
    assert.ok(schema, 'the schema is named');
    const { default: postgres } = await import('postgres');
    const sql = postgres(process.env.TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
    try {
      const left = await sql`SELECT 1 FROM information_schema.schemata WHERE schema_name = ${schema!}`;
      assert.is(left.length, 0, 'the schema is dropped');
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
}

test.run();
