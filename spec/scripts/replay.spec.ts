import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from '../../lib/core/json/bigint-json.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const sample = (name: string) => join(root, 'recordings', name, 'recording.ndjson.gz');
const replay = (args: string[]) =>
  run(process.execPath, ['scripts/replay.ts', ...args], { cwd: root, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
const failure = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    await replay(args);
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
  throw new Error('the replay should have failed');
};

let dir: string;

// ---
const cli = suite('scripts/replay.ts');
cli.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'replay-cli-'));
});
cli.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

cli('replays a sample without a database, prints the table, the report and the whole time taken', async () => {
  const report = join(dir, 'spike.html');
  const { stdout, stderr } = await replay([sample('spike'), '--report', report, '--load-model', 'recorded']);
  assert.match(stderr, /^replay: /, 'a progress line comes first');
  assert.not.match(stderr, /database/);
  assert.match(stdout, /^spike: 3960 envelopes, 2024-11-14 10:00:02 to 2024-11-14 10:55:34 UTC, 1 app\(s\)/);
  assert.match(stdout, /\nload model: recorded \(every metric as recorded/);
  assert.match(stdout, /\n6 scaling events\n/);
  assert.match(stdout, /2024-11-14 10:18:02 +\+18m00s +checkout-web +cpu > 70 for 120s: \+2 +90% +2 -> 4 +10:23:02/);
  assert.match(stdout, /15 calls not acted on: 15 instance count at minimum/);
  assert.match(
    stdout,
    new RegExp(
      `report: ${report}\\ndone in \\d+\\.\\d\\d s from start; first envelope after \\d+\\.\\d\\d s( \\(recording read from its aggregated cache\\))?\\n$`,
    ),
  );
  assert.match(await readFile(report, 'utf8'), /^<!doctype html>/);
});

cli('the shared load model is the default: the spike scales out once', async () => {
  const { stdout } = await replay([sample('spike'), '--no-report']);
  assert.match(stdout, /\nload model: shared \(cpu, cpuutil and throughput/);
  assert.match(stdout, /\n3 scaling events\n/);
});

cli(
  '--vary compares candidates: the table marks the front and the recommendation, the report has the scatter',
  async () => {
    const report = join(dir, 'lab.html');
    const { stdout } = await replay([
      sample('spike'),
      '--vary',
      'scaling_rules[0].threshold=60,80',
      '--vary',
      'scaling_rules[1].cool_down_secs=120,600',
      '--report',
      report,
    ]);
    assert.match(stdout, /, 5 candidate\(s\)\n/);
    assert.match(stdout, /\n>\* +\d+ +scaling_rules\[0\]\.threshold=\d+, scaling_rules\[1\]\.cool_down_secs=\d+ /);
    assert.match(stdout, /\nrecommended: #\d+ \(.*\) is the cheapest candidate on the cost\/pressure front/);
    const html = await readFile(report, 'utf8');
    assert.match(html, /<svg class="scatter"/);
    assert.match(html, /<h2>Recommended: #\d+/);
    assert.match(html, /<h2>Base policy \(#0\)<\/h2>/);
    const { stdout: json } = await replay([
      sample('spike'),
      '--vary',
      'scaling_rules[0].threshold=60,80',
      '--json',
      '--no-report',
    ]);
    const doc = JSON.parse(json) as {
      candidates: { policy: { scaling_rules: { threshold: number }[] } }[];
      recommended: number;
    };
    assert.equal(
      doc.candidates.map((c) => c.policy.scaling_rules[0]!.threshold),
      [70, 60, 80],
    );
    assert.ok(Number.isInteger(doc.recommended));
  },
);

cli('bad --vary, --pressure and --load-model values exit with code 2 before reading anything', async () => {
  for (const [args, message] of [
    [['--vary', 'scaling_rules[9].threshold=1'], /the base policy has no scaling_rules\[9\]/],
    [['--vary', 'instance_max_count=lots'], /"lots" is not a number/],
    [['--vary', 'threshold'], /expected <path>=<v1>,<v2>/],
    [['--pressure', 'cpu=1'], /--pressure "cpu=1"/],
    [['--load-model', 'linear'], /--load-model must be one of shared, recorded/],
  ] as const) {
    const result = await failure([sample('spike'), '--no-report', ...args]);
    assert.is(result.code, 2, args.join(' '));
    assert.match(result.stderr, message);
  }
});

cli('prints machine-readable decisions with --json', async () => {
  const { stdout } = await replay([sample('custom-metrics'), '--json', '--no-report']);
  const doc = parse(stdout) as {
    envelopes: number;
    events: { status: number; before: number; after: number }[];
    decisions: { kind: string; at: bigint }[];
  };
  assert.is(doc.envelopes, 900);
  assert.equal(
    doc.events.filter((e) => e.status === 0).map((e) => `${e.before}->${e.after}`),
    ['2->3', '3->4', '4->5', '5->4', '4->3', '3->2'],
  );
  assert.ok(doc.decisions.some((d) => d.kind === 'scaling-result'));
  assert.is(typeof doc.decisions[0]!.at, 'bigint');
});

cli('checks a recording and lists its bad lines', async () => {
  const path = join(dir, 'bad.ndjson');
  await writeFile(
    path,
    '{"timestamp":"1","source_id":"a","gauge":{"metrics":{"cpu":{"unit":"","value":1}}}}\n{oops\n{"timestamp":"2","source_id":"a"}\n',
  );
  const result = await failure(['--check', path]);
  assert.is(result.code, 1);
  assert.match(result.stdout, /1 envelopes from 1 source\(s\)/);
  assert.match(result.stdout, /line 2: not valid JSON/);
  assert.match(result.stdout, /line 3: envelope carries no message/);
});

cli('refuses a missing policy and a bad policy file with exit code 2', async () => {
  const path = join(dir, 'lonely.ndjson');
  await writeFile(path, '');
  const missing = await failure([path]);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /no --policy given and no .*policy\.json next to the recording/);
  const bad = join(dir, 'bad-policy.json');
  await writeFile(bad, '{"scaling_rules":[{"threshold":1.5}]}');
  const invalid = await failure([path, '--policy', bad]);
  assert.is(invalid.code, 2);
  assert.match(invalid.stderr, /policy file .*bad-policy\.json: policy_json does not match the policy format/);
});

cli('also writes every app metric to the embedded database with --database embedded', async () => {
  const without = await replay([sample('custom-metrics'), '--json', '--no-report']);
  const withDb = await replay([sample('custom-metrics'), '--json', '--no-report', '--database', 'embedded']);
  assert.match(withDb.stderr, /\ndatabase: \d+ app metric rows written\n/);
  assert.is(withDb.stdout, without.stdout, 'the same decisions');
});

const url = process.env.TEST_DATABASE_URL;
cli(`uses ${url ? 'the PostgreSQL server' : 'a given database URL'} in a schema of its own`, async () => {
  if (!url) return; // needs a server: TEST_DATABASE_URL=postgres://... node scripts/test.ts replay
  const { stdout, stderr } = await replay([sample('quiet'), '--database', url, '--no-report', '--keep-rows']);
  assert.match(stdout, /0 scaling events/);
  const schema = /kept in schema (replay_quiet_\w+)/.exec(stderr)?.[1];
  assert.ok(schema, stderr);
  const postgres = (await import('postgres')).default;
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`SELECT count(*)::int AS n FROM ${sql(schema!)}.app_metric`;
    assert.ok((rows[0]?.n as number) > 100);
  } finally {
    await sql`DROP SCHEMA IF EXISTS ${sql(schema!)} CASCADE`;
    await sql.end();
  }
});

cli.run();
