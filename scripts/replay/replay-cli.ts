/**
 * Replays a recorded envelope stream through the service's pipelines in virtual time, keeping app
 * metrics in memory (and in a database with --database), against a simulated scaling engine.
 * See REPLAY_USAGE, or run without arguments. Started by scripts/replay.ts, which gives Node the
 * flags this process needs; the times it prints count from that process's start.
 */
import { readFile } from 'node:fs/promises';
import type { Decision } from '../../lib/core/model/decision.ts';
import type { LoggerOptions } from '../../lib/adapters/log/logger.ts';
import { DEFAULT_CACHE_DIR, parseReplayArgs, REPLAY_USAGE } from '../../lib/replay/replay-args.ts';
import {
  labProgressText,
  startProgressLine,
  startReplayProgress,
  timingText,
} from '../../lib/replay/replay-progress.ts';
import { errorText } from '../../lib/core/error-text.ts';
import { answerHelp, exitWithUsage } from '../../lib/tools/cli/parse-cli.ts';

// The launcher's start, when it started this process: the user waited from then.
const launchedAt = Number(process.env['EG_REPLAY_LAUNCHED_AT']);
const sinceStart = (): number =>
  Number.isFinite(launchedAt) ? performance.timeOrigin + performance.now() - launchedAt : performance.now();
const launchDelay = sinceStart() - performance.now();

answerHelp(REPLAY_USAGE);
// Only what the first line needs is imported up front: the pipelines, the report and the database
// client take several tenths of a second to load, and the user should see the replay start first.
const parsed = parseReplayArgs(process.argv.slice(2));
if (!parsed.ok) exitWithUsage('replay', REPLAY_USAGE, parsed.error);
const args = parsed.args;
const progress = args.check ? undefined : startReplayProgress(process.stderr, { now: sinceStart });
const { createLogger } = await import('../../lib/adapters/log/logger.ts');
const logger = createLogger({
  name: 'replay',
  level: args.logLevel as LoggerOptions['level'],
  destination: process.stderr as unknown as LoggerOptions['destination'],
});

if (args.check) {
  const { parseEnvelope } = await import('../../lib/core/envelope/parse-envelope.ts');
  const { formatIssues, validateRecording } = await import('../../lib/tools/recording/validate-recording.ts');
  const { formatUtc } = await import('../../lib/tools/report/format-time.ts');
  const summary = await validateRecording(args.recording, { parseEnvelope }).catch((err: Error) => {
    process.stderr.write(`replay: ${err.message}\n`);
    return process.exit(1);
  });
  const range =
    summary.firstTimestamp === undefined
      ? 'no envelopes'
      : `${formatUtc(summary.firstTimestamp)} to ${formatUtc(summary.lastTimestamp!)} UTC`;
  console.log(`${args.recording}: ${summary.envelopes} envelopes from ${summary.sources.size} source(s), ${range}`);
  if (summary.outOfOrder > 0)
    console.log(
      `${summary.outOfOrder} envelope(s) out of time order (first at line ${summary.firstOutOfOrderLine}); a replay delivers them late`,
    );
  for (const line of formatIssues(summary.issues)) console.log(line);
  if (summary.issueCount > summary.issues.length)
    console.log(`… and ${summary.issueCount - summary.issues.length} more bad line(s)`);
  process.exit(summary.issueCount > 0 ? 1 : 0);
}

// Loaded together: one after another, they would wait on each other's files.
const [
  { parsePolicyFile },
  { openReplayDatabase },
  { runReplay },
  { replayRows, replaySummary, writeReplayReport },
  { stringify },
  { runLabCommand },
  { buildCandidates },
] = await Promise.all([
  import('../../lib/replay/replay-policies.ts'),
  import('../../lib/replay/replay-database.ts'),
  import('../../lib/replay/run-replay.ts'),
  import('../../lib/replay/replay-report.ts'),
  import('../../lib/core/json/bigint-json.ts'),
  import('../../lib/replay/lab-command.ts'),
  import('../../lib/replay/vary.ts'),
]);
const policyFile = parsePolicyFile(await readFile(args.policy, 'utf8'));
if (!policyFile.ok) {
  progress?.done();
  process.stderr.write(`replay: policy file ${args.policy}: ${policyFile.reason}\n`);
  process.exit(2);
}
// The candidates are checked before anything is read, so a bad --vary costs no replay.
let candidates: ReturnType<typeof buildCandidates> | undefined;
try {
  if (args.lab.enabled) candidates = buildCandidates(policyFile.policies, args.lab.variations);
} catch (err) {
  progress?.done();
  process.stderr.write(`replay: ${errorText(err)}\n`);
  process.exit(2);
}
// Opened while the recording is read: the replay itself never waits for it.
const database = args.database === undefined ? undefined : openReplayDatabase(args.database, args.name);

/** One replay of the recording under the policy file: the table or JSON, the report, the timing. */
const replayOnce = async (): Promise<void> => {
  const result = await runReplay({
    recording: args.recording,
    policies: policyFile.policies,
    database: database?.ready,
    cacheDir: args.cache ? DEFAULT_CACHE_DIR : undefined,
    settings: args.settings,
    logger,
    speed: args.speed,
    initialInstances: args.initialInstances,
    strict: args.strict,
    loadModel: args.lab.loadModel,
    // The table and the report need breaches and scaling calls; per-metric "no breach" lines only --json shows.
    keep: args.json ? undefined : (d: Decision) => d.kind !== 'no-breach',
    noBreachDecisions: args.json,
    // The metric series only chart the HTML report.
    series: args.report !== undefined,
    onProgress: (p) => progress?.update(p),
  });
  progress?.done();
  if (result.cacheNote) process.stderr.write(`replay: ${result.cacheNote}\n`);
  const rows = result.database;
  if (rows)
    process.stderr.write(
      `database: ${rows.written} app metric rows written${rows.unconfirmed > 0 ? `, ${rows.unconfirmed} not confirmed in time` : ''}${rows.failedRows > 0 ? `, ${rows.failedRows} lost in ${rows.failures} failed write(s)` : ''}\n`,
    );
  if (args.json) {
    process.stdout.write(
      `${stringify({ recording: args.recording, start: result.startNs, end: result.endNs, envelopes: result.envelopes, issues: result.issues, events: replayRows(result), decisions: result.decisions })}\n`,
    );
  } else {
    process.stdout.write(replaySummary(result, args.name));
  }
  if (args.report) {
    const path = await writeReplayReport(result, args.report, args.name);
    (args.json ? process.stderr : process.stdout).write(`report: ${path}\n`);
  }
  if (args.stats) {
    const cpu = process.cpuUsage();
    const main = process.threadCpuUsage();
    process.stderr.write(
      `stats: ${JSON.stringify({
        wallMs: sinceStart(),
        firstEnvelopeMs: result.firstEnvelopeAt === undefined ? undefined : result.firstEnvelopeAt + launchDelay,
        envelopes: result.envelopes,
        scalingEvents: result.events.filter((e) => e.result.status === 0).length,
        cache: result.cache,
        cpuMs: {
          process: (cpu.user + cpu.system) / 1000,
          main: (main.user + main.system) / 1000,
          reader: result.readerCpuMs,
          scanner: result.scannerCpuMs,
        },
        maxRssKiB: process.resourceUsage().maxRSS,
        rowsWritten: result.database?.written,
      })}\n`,
    );
  }
  (args.json ? process.stderr : process.stdout).write(
    `${timingText(sinceStart(), result.firstEnvelopeAt === undefined ? undefined : result.firstEnvelopeAt + launchDelay)}${result.cache === 'read' ? ' (recording read from its aggregated cache)' : ''}\n`,
  );
};

try {
  if (candidates) {
    // The lab shows its own line: the replay, then each candidate evaluated.
    progress?.done();
    await runLabCommand({
      args,
      candidates,
      database: database?.ready,
      logger,
      progress: startProgressLine(process.stderr, labProgressText, { now: sinceStart }),
    });
  } else await replayOnce();
} catch (err) {
  progress?.done();
  process.stderr.write(`replay failed: ${errorText(err)}\n`);
  process.exitCode = 1;
} finally {
  progress?.done();
  if (database?.schema && args.keepRows) process.stderr.write(`app metrics kept in schema ${database.schema}\n`);
  await database?.close(args.keepRows);
}
