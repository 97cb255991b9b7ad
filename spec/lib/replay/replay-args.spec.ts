import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { parseReplayArgs, recordingName } from '../../../lib/replay/replay-args.ts';
import { DEFAULT_REPLAY_SETTINGS } from '../../../pipelines/graph/replay-settings.ts';

const spike = join(import.meta.dirname, '..', '..', '..', 'recordings', 'spike', 'recording.ndjson.gz');

// ---
const args = suite('parseReplayArgs');

args('defaults to the policy next to the recording, a report under reports/ and the anchor settings', () => {
  const parsed = parseReplayArgs([spike]);
  assert.ok(parsed.ok);
  if (!parsed.ok) return;
  assert.is(parsed.args.policy, join(spike, '..', 'policy.json'));
  assert.is(parsed.args.name, 'spike');
  assert.is(parsed.args.report, join('reports', 'spike.html'));
  assert.is(parsed.args.speed, undefined);
  assert.equal(parsed.args.settings, DEFAULT_REPLAY_SETTINGS);
  assert.is(parsed.args.database, undefined, 'no database unless asked');
  assert.is(parsed.args.cache, true);
});

args('takes embedded or a PostgreSQL URL as the database, and --database-url as before', () => {
  const of = (argv: string[]) => {
    const parsed = parseReplayArgs([spike, ...argv]);
    return parsed.ok ? parsed.args.database : parsed.error;
  };
  assert.is(of(['--database', 'embedded']), 'embedded');
  assert.is(of(['--database', 'postgresql://u@h/db']), 'postgresql://u@h/db');
  assert.is(of(['--database-url', 'postgres://h/db']), 'postgres://h/db');
  assert.is(of(['--database', 'mysql://h']), '--database must be embedded or a postgres:// URL, got "mysql://h"');
});

args('reads every knob, with Go durations for intervals', () => {
  const parsed = parseReplayArgs([
    spike,
    '--speed',
    '60',
    '--no-report',
    '--json',
    '--interval',
    '1m',
    '--save-interval',
    '2s',
    '--evaluation-interval',
    '30s',
    '--stat-window',
    '300',
    '--breach-duration',
    '90',
    '--cache-size',
    '50',
    '--cooldown',
    '60',
    '--initial-instances',
    '3',
    '--database',
    'postgres://x',
    '--no-cache',
  ]);
  assert.ok(parsed.ok);
  if (!parsed.ok) return;
  const a = parsed.args;
  assert.equal(
    [a.speed, a.report, a.json, a.initialInstances, a.database, a.cache],
    [60, undefined, true, 3, 'postgres://x', false],
  );
  assert.equal(
    { ...a.settings, breaker: undefined },
    {
      ...DEFAULT_REPLAY_SETTINGS,
      breaker: undefined,
      aggregatorIntervalMs: 60_000,
      saveIntervalMs: 2_000,
      evaluationIntervalMs: 30_000,
      statWindowSecs: 300,
      defaultBreachDurationSecs: 90,
      metricCacheSizePerApp: 50,
      defaultCoolDownSecs: 60,
    },
  );
});

args('explains each bad argument', () => {
  const error = (argv: string[]) => {
    const p = parseReplayArgs(argv);
    return p.ok ? '' : p.error;
  };
  assert.is(error([]), 'a recording file is required');
  assert.is(error([spike, spike]), 'one recording at a time, got 2');
  assert.match(error(['/nowhere/x.ndjson']), /no --policy given and no \/nowhere\/policy\.json next to the recording/);
  assert.match(error([spike, '--policy', '/nowhere/p.json']), /policy file \/nowhere\/p\.json does not exist/);
  assert.match(error([spike, '--speed', '0']), /--speed must be a number above 0/);
  assert.match(error([spike, '--interval', '40']), /--interval: time: missing unit in duration "40"/);
  assert.match(error([spike, '--stat-window', '2m']), /--stat-window must be a positive whole number, got "2m"/);
  assert.match(error([spike, '--bogus']), /Unknown option '--bogus'/);
});

args('names recordings after their folder or file', () => {
  assert.is(recordingName('recordings/spike/recording.ndjson.gz'), 'spike');
  assert.is(recordingName('/tmp/prod-2024-11.jsonl'), 'prod-2024-11');
  assert.is(recordingName('capture.ndjson.gz'), 'capture');
});

args.run();
