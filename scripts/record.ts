/**
 * Writes a recording for scripts/replay.ts, either by polling a log-cache for some apps over a
 * duration (same client and UAA auth as the service) or by converting saved read responses.
 *
 *   node scripts/record.ts --out rec.ndjson.gz --logcache-url https://log-cache.sys.example.com \
 *     --uaa-url https://uaa.sys.example.com --client-id ID --client-secret SECRET --app GUID --duration 10m
 *   node scripts/record.ts --out rec.ndjson.gz --from-dump read-1.json --from-dump read-2.json
 */
import { parseGoDuration } from '../lib/adapters/config/go-duration.ts';
import { createLogger, logFormatFor } from '../lib/adapters/log/logger.ts';
import type { LoggerOptions } from '../lib/adapters/log/logger.ts';
import { createLogCacheClient } from '../lib/adapters/logcache/logcache-client.ts';
import { convertDumps } from '../lib/tools/recording/convert-dump.ts';
import { recordFromLogCache } from '../lib/tools/recording/record-logcache.ts';
import { errorTextWithCauses } from '../lib/core/error-text.ts';
import { exitWithUsage, parseCli } from '../lib/tools/cli/parse-cli.ts';
import { createRecordingWriter } from '../lib/tools/recording/write-recording.ts';
import { createClientCredentialsProvider } from '../lib/adapters/uaa/client-credentials-provider.ts';
import { createPasswordGrantProvider } from '../lib/adapters/uaa/password-grant-provider.ts';
import { msToNs } from '../lib/core/time/ns.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const USAGE = `Usage: node scripts/record.ts --out <file.ndjson[.gz|.zst]> (--from-dump <read-response.json> ... | live options)

Live options:
  --logcache-url <url>        log-cache base URL (required)
  --uaa-url <url>             UAA; with --client-id/--client-secret (client credentials),
                              plus --username/--password for the password grant
  --skip-ssl-validation       do not verify TLS certificates (log-cache and UAA)
  --app <guid>                an app to record (repeatable, required)
  --duration <d>              how long to record, e.g. 10m (required)
  --since <d>                 also take what log-cache already holds for this long before now
  --poll-interval <d>         time between reads (15s)
  --lag <d>                   stay this far behind now for late envelopes (5s)
  --envelope-types <list>     GAUGE,TIMER (what the metrics are made of)
  --give-up-after <n>         polls in a row with every read failing before giving up (3)
  --log-level <level>         info (default), warn, debug
  -h, --help                  this text

It stops by --duration plus --lag and a 10 s grace, whatever the peers do. When UAA or log-cache
stays unreachable it gives up with one line and exit 1. A file is only left behind when it holds
envelopes: a recording cut short by the deadline is kept and says so (exit 1).
`;

const fail = (message: string): never => exitWithUsage('record', USAGE, message);
const GRACE_MS = 10_000;

const { values } = parseCli({
  name: 'record',
  usage: USAGE,
  options: {
    out: { type: 'string' },
    'from-dump': { type: 'string', multiple: true },
    'logcache-url': { type: 'string' },
    'uaa-url': { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    'skip-ssl-validation': { type: 'boolean', default: false },
    app: { type: 'string', multiple: true },
    duration: { type: 'string' },
    since: { type: 'string' },
    'poll-interval': { type: 'string', default: '15s' },
    lag: { type: 'string', default: '5s' },
    'envelope-types': { type: 'string', default: 'GAUGE,TIMER' },
    'give-up-after': { type: 'string', default: '3' },
    'log-level': { type: 'string', default: 'info' },
  },
});
const v = values;
const duration = (flag: string, text: string | undefined): number => {
  try {
    return text === undefined ? 0 : parseGoDuration(text);
  } catch (err) {
    return fail(`--${flag}: ${errorTextWithCauses(err)}`);
  }
};
if (!v.out) fail('--out is required');
const out = v.out!;
let format;
try {
  format = logFormatFor(process.env, process.stderr);
} catch (err) {
  fail((err as Error).message);
}
const logger = createLogger({
  name: 'record',
  format,
  level: v['log-level'] as LoggerOptions['level'],
  destination: process.stderr as unknown as LoggerOptions['destination'],
});

const giveUpAfter = Number(v['give-up-after']);
if (!(Number.isInteger(giveUpAfter) && giveUpAfter > 0)) fail('--give-up-after must be a whole number above 0');

const writer = await createRecordingWriter(out);
// Ctrl-C or a kill leaves no .partial file behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    void writer.abort().finally(() => {
      process.stderr.write(`record: stopped by ${signal}; nothing written\n`);
      process.exit(130);
    });
  });
try {
  if (v['from-dump']) {
    const result = await convertDumps(v['from-dump'], writer.write);
    await writer.close();
    for (const issue of result.issues)
      process.stderr.write(`${issue.file}: envelope ${issue.index}: ${issue.reason}\n`);
    console.log(
      `${out}: ${result.envelopes} envelopes${result.skipped > 0 ? `, ${result.skipped} log/event envelopes left out` : ''}${result.issues.length > 0 ? `, ${result.issues.length} unreadable` : ''}`,
    );
  } else {
    if (!v['logcache-url']) fail('--logcache-url is required (or --from-dump)');
    if (!v.app || v.app.length === 0) fail('at least one --app is required');
    const durationMs = duration('duration', v.duration);
    if (!(durationMs > 0)) fail('--duration is required, e.g. --duration 10m');
    const now = () => msToNs(Date.now());
    const tls = v['skip-ssl-validation'] ? { skipSslValidation: true } : undefined;
    const uaa = v['uaa-url'];
    const auth = !uaa
      ? undefined
      : v.username
        ? createPasswordGrantProvider({
            url: uaa,
            clientId: v['client-id'] ?? 'cf',
            clientSecret: v['client-secret'] ?? '',
            username: v.username,
            password: v.password ?? '',
            now,
            logger,
          })
        : createClientCredentialsProvider({
            url: uaa,
            clientId: v['client-id'] ?? '',
            clientSecret: v['client-secret'] ?? '',
            now,
            logger,
          });
    const client = createLogCacheClient({
      url: v['logcache-url']!,
      auth,
      timeoutMs: 10_000,
      retry: { limit: 2, initialMs: 500, maxMs: 5_000 },
      concurrency: 4,
      tls,
      logger,
    });
    const started = now();
    const fromNs = started - msToNs(duration('since', v.since));
    const lagMs = duration('lag', v.lag);
    const stats = await recordFromLogCache({
      read: (app, window) => client.readAll(app, window),
      apps: v.app!,
      fromNs,
      toNs: started + msToNs(durationMs),
      pollIntervalMs: duration('poll-interval', v['poll-interval']),
      lagMs,
      deadlineNs: started + msToNs(durationMs + lagMs + GRACE_MS),
      maxFailedPolls: giveUpAfter,
      envelopeTypes: v['envelope-types']
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
      now,
      sleep: (ms) => sleep(ms),
      write: writer.write,
      logger,
      onPoll: (s) => logger.info({ ...s }, 'poll done'),
    });
    void client.close();
    const summary = `${stats.envelopes} envelopes from ${v.app!.length} app(s) in ${stats.polls} poll(s)${stats.failedReads > 0 ? `, ${stats.failedReads} failed read(s) retried` : ''}`;
    if (stats.envelopes === 0) {
      await writer.abort();
      process.stderr.write(
        `record: log-cache held no envelopes for the app(s) in the window; nothing written (${summary})\n`,
      );
      process.exit(1);
    }
    await writer.close();
    if (!stats.complete) {
      process.stderr.write(
        `record: ${out}: cut short at the deadline, the last part of the window is missing (${summary})\n`,
      );
      process.exit(1);
    }
    console.log(`${out}: ${summary}`);
    // A read left behind at the deadline must not hold the process open.
    process.exit(0);
  }
} catch (err) {
  await writer.abort();
  process.stderr.write(`record failed: ${errorTextWithCauses(err)}\n`);
  process.exit(1);
}
