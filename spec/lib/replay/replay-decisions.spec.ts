import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from '../../../lib/core/json/bigint-json.ts';
import { silentLogger } from '../../../lib/adapters/log/logger.ts';
import { replayRows } from '../../../lib/replay/replay-report.ts';
import { parsePolicyFile } from '../../../lib/replay/replay-policies.ts';
import { runReplay } from '../../../lib/replay/run-replay.ts';
import type { ReplayResult } from '../../../lib/replay/run-replay.ts';
import { DEFAULT_REPLAY_SETTINGS } from '../../../pipelines/graph/replay-settings.ts';
import { openTestDatabase } from '../../support/database.ts';

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
  ...replayRows(result).map((event) => stringify({ event })),
  ...result.decisions.map((decision) => stringify({ decision })),
];

const expectedLines = async (name: string): Promise<string[]> =>
  (await readFile(join(import.meta.dirname, 'expected', `${name}.ndjson`), 'utf8')).trimEnd().split('\n');

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

// ---
const decisions = suite('replay decisions of the bundled samples');
decisions.before(async () => {
  db = await openTestDatabase();
});
decisions.after(async () => {
  await db.close();
});

for (const name of SAMPLES) {
  decisions(`${name}: the same events and decisions as before`, async () => {
    const result = await runReplay({
      recording: join(recordings, name, 'recording.ndjson.gz'),
      policies: await policiesOf(name),
      database: db,
      settings: DEFAULT_REPLAY_SETTINGS,
      logger: silentLogger(),
    });
    assertSame(linesOf(result), await expectedLines(name), name);
  });
}

decisions.run();
