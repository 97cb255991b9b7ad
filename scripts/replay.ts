/**
 * Replays a recorded envelope stream through the service's pipelines in virtual time, against the
 * embedded database and a simulated scaling engine. See REPLAY_USAGE, or run without arguments.
 */
import { readFile } from 'node:fs/promises';
import { connectDatabase } from '../lib/adapters/db/connect.ts';
import { parseEnvelope } from '../lib/core/envelope/parse-envelope.ts';
import { stringify } from '../lib/core/json/bigint-json.ts';
import type { Decision } from '../lib/core/model/decision.ts';
import { createLogger } from '../lib/adapters/log/logger.ts';
import type { LoggerOptions } from '../lib/adapters/log/logger.ts';
import { formatIssues, validateRecording } from '../lib/tools/recording/validate-recording.ts';
import { formatUtc } from '../lib/tools/report/format-time.ts';
import { createProgressBar } from '../lib/replay/progress-bar.ts';
import { parseReplayArgs, REPLAY_USAGE } from '../lib/replay/replay-args.ts';
import { parsePolicyFile } from '../lib/replay/replay-policies.ts';
import { replayRows, replaySummary, writeReplayReport } from '../lib/replay/replay-report.ts';
import { runReplay } from '../lib/replay/run-replay.ts';
import { errorText } from '../lib/core/error-text.ts';
import { runLabCommand } from '../lib/replay/lab-command.ts';
import { buildCandidates } from '../lib/replay/vary.ts';
import type { CandidateSet } from '../lib/replay/vary.ts';
import { answerHelp, exitWithUsage } from '../lib/tools/cli/parse-cli.ts';

answerHelp(REPLAY_USAGE);
const parsed = parseReplayArgs(process.argv.slice(2));
if (!parsed.ok) exitWithUsage('replay', REPLAY_USAGE, parsed.error);
const args = parsed.args;
const logger = createLogger({
  name: 'replay',
  level: args.logLevel as LoggerOptions['level'],
  destination: process.stderr as unknown as LoggerOptions['destination'],
});

if (args.check) {
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

const policyFile = parsePolicyFile(await readFile(args.policy, 'utf8'));
if (!policyFile.ok) {
  process.stderr.write(`replay: policy file ${args.policy}: ${policyFile.reason}\n`);
  process.exit(2);
}
// The candidates are checked before anything is read, so a bad --vary costs no replay.
let candidates: CandidateSet | undefined;
try {
  if (args.lab.enabled) candidates = buildCandidates(policyFile.policies, args.lab.variations);
} catch (err) {
  process.stderr.write(`replay: ${errorText(err)}\n`);
  process.exit(2);
}

// A server database gets a schema of the replay's own, so rows of earlier replays (or of the
// service) are never read back as history.
const schema = args.databaseUrl
  ? `replay_${args.name.replace(/[^a-zA-Z0-9]/g, '_').toLowerCase()}_${Date.now().toString(36)}`
  : undefined;
let database;
try {
  database = await connectDatabase(args.databaseUrl ? { url: args.databaseUrl, schema, applySchema: true } : {});
} catch (err) {
  process.stderr.write(`replay: cannot open the database: ${errorText(err)}\n`);
  process.exit(1);
}
const progress = createProgressBar(process.stderr);
try {
  if (candidates) {
    await runLabCommand({ args, candidates, database, logger, progress });
  } else {
    const result = await runReplay({
      recording: args.recording,
      policies: policyFile.policies,
      database,
      settings: args.settings,
      logger,
      speed: args.speed,
      initialInstances: args.initialInstances,
      strict: args.strict,
      loadModel: args.lab.loadModel,
      // The table and the report need breaches and scaling calls; per-metric "no breach" lines only --json shows.
      keep: args.json ? undefined : (d: Decision) => d.kind !== 'no-breach',
      onProgress: (p) => progress.update(p.fraction, `${formatUtc(p.virtualNs)} UTC, ${p.envelopes} envelopes`),
    });
    progress.done();
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
  }
} catch (err) {
  progress.done();
  process.stderr.write(`replay failed: ${errorText(err)}\n`);
  process.exitCode = 1;
} finally {
  if (schema && !args.keepRows)
    await database.sql`DROP SCHEMA IF EXISTS ${database.sql(schema)} CASCADE`.catch(() => {});
  else if (schema) process.stderr.write(`app metrics kept in schema ${schema}\n`);
  await database.close();
}
