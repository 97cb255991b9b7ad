import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from '../../../lib/core/json/bigint-json.ts';
import type { Decision } from '../../../lib/core/model/decision.ts';
import { silentLogger } from '../../../lib/adapters/log/logger.ts';
import { replayRows } from '../../../lib/replay/replay-report.ts';
import { parsePolicyFile } from '../../../lib/replay/replay-policies.ts';
import { runReplay } from '../../../lib/replay/run-replay.ts';
import type { ReplayResult } from '../../../lib/replay/run-replay.ts';
import { DEFAULT_REPLAY_SETTINGS } from '../../../pipelines/graph/replay-settings.ts';
import { databaseKind, openTestDatabase } from '../../support/database.ts';

const recordings = join(import.meta.dirname, '..', '..', '..', 'recordings');
const SAMPLES = ['custom-metrics', 'flapping', 'http-throughput', 'quiet', 'slow-ramp', 'spike'];

/**
 * The replay's output as lines: a header, then every scaling event, then every decision. The
 * expected files (expected/<sample>.ndjson) were written by `scripts/replay.ts --json` before the
 * replay kept app metrics in memory, read recordings with the line scanner and cached them, so any
 * change of decision since then fails here.
 */
const linesOf = (result: ReplayResult): string[] => [
  stringify({ envelopes: result.envelopes, start: result.startNs, end: result.endNs, issues: result.issues }),
  ...replayRows(result).map(({ value: _shown, ...event }) => stringify({ event })),
  // scalingStatus (the engine's status field) was added to scaling results after the lists were recorded.
  ...result.decisions.map((decision) => stringify({ decision }).replace(/,"scalingStatus":\d+/, '')),
];

/**
 * The value an event row shows is left out: it is presentation (which value of the breach window
 * the table prints), and changed on purpose since the lists were recorded; the decisions carry
 * every value the evaluation saw.
 */
const withoutShownValue = (line: string): string =>
  line.startsWith('{"event":') ? line.replace(/,"value":"[^"]*"/, '') : line;

const expectedLines = async (name: string): Promise<string[]> =>
  (await readFile(join(import.meta.dirname, 'expected', `${name}.ndjson`), 'utf8'))
    .trimEnd()
    .split('\n')
    .map(withoutShownValue);

const policiesOf = async (name: string) => {
  const parsed = parsePolicyFile(await readFile(join(recordings, name, 'policy.json'), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.policies;
};

const assertSame = (actual: string[], expected: string[], label: string) => {
  for (let i = 0; i < Math.max(actual.length, expected.length); i++)
    if (actual[i] !== expected[i])
      assert.unreachable(`${label}: line ${i + 1} differs\n  expected ${expected[i]}\n  actual   ${actual[i]}`);
  assert.is(actual.length, expected.length);
};

let db: Awaited<ReturnType<typeof openTestDatabase>>;
let cacheDir: string;

// ---
const decisions = suite('replay decisions of the bundled samples');
decisions.before(async () => {
  db = await openTestDatabase();
  cacheDir = await mkdtemp(join(tmpdir(), 'replay-decisions-cache-'));
});
decisions.after(async () => {
  await db.close();
  await rm(cacheDir, { recursive: true, force: true });
});

const replay = async (name: string, options: { database?: boolean; cacheDir?: string; summary?: boolean }) =>
  runReplay({
    // The terminal summary's replay (the CLI without --json or a report): no-breach decisions
    // neither made nor kept, no metric series.
    ...(options.summary
      ? { keep: (d: Decision) => d.kind !== 'no-breach', noBreachDecisions: false, series: false }
      : {}),
    recording: join(recordings, name, 'recording.ndjson.gz'),
    policies: await policiesOf(name),
    ...(options.database ? { database: db } : {}),
    cacheDir: options.cacheDir,
    // The lists were recorded before the shared load model became the default.
    loadModel: 'recorded',
    settings: DEFAULT_REPLAY_SETTINGS,
    logger: silentLogger(),
  });

for (const name of SAMPLES) {
  decisions(`${name}: the same events and decisions as before, with and without cache and database`, async () => {
    const expected = await expectedLines(name);
    const plain = await replay(name, {});
    assert.is(plain.cache, 'off');
    assertSame(linesOf(plain), expected, `${name} parsed, in memory`);
    const first = await replay(name, { cacheDir });
    assert.is(first.cache, 'written');
    assertSame(linesOf(first), expected, `${name} parsed, writing the cache`);
    const repeat = await replay(name, { cacheDir, database: true });
    assert.is(repeat.cache, 'read');
    assertSame(linesOf(repeat), expected, `${name} from the cache, with the ${databaseKind()} database`);
    assert.ok((repeat.database?.written ?? 0) > 0, 'the rows were written too');
    const parsedWithDatabase = await replay(name, { database: true });
    assertSame(linesOf(parsedWithDatabase), expected, `${name} parsed, with the ${databaseKind()} database`);
    const kept = expected.filter((line) => !line.startsWith('{"decision":{"kind":"no-breach"'));
    assert.ok(kept.length < expected.length, 'the list holds no-breach decisions to leave out');
    const summary = await replay(name, { cacheDir, summary: true });
    assert.is(summary.cache, 'read');
    assertSame(linesOf(summary), kept, `${name} from the cache, without no-breach decisions`);
    assert.equal(summary.series, [], 'no metric series were kept');
    assert.ok(first.series.length > 0, 'a replay keeps its metric series by default');
    const summaryParsed = await replay(name, { summary: true });
    assertSame(linesOf(summaryParsed), kept, `${name} parsed, without no-breach decisions`);
  });
}

decisions.run();
