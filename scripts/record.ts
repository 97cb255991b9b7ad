/**
 * Writes a recording for scripts/replay.ts, either by polling a log-cache for some apps over a
 * duration (same client and UAA auth as the service) or by converting saved read responses.
 *
 *   node scripts/record.ts --out rec.ndjson.gz --logcache-url https://log-cache.sys.example.com \
 *     --uaa-url https://uaa.sys.example.com --client-id ID --client-secret SECRET --app GUID --duration 10m
 *   node scripts/record.ts --out rec.ndjson.gz --from-dump read-1.json --from-dump read-2.json
 */
import { parseArgs } from 'node:util';
import { parseGoDuration } from '../lib/adapters/config/go-duration.ts';
import { createLogger } from '../lib/adapters/log/logger.ts';
import type { LoggerOptions } from '../lib/adapters/log/logger.ts';
import { createLogCacheClient } from '../lib/adapters/logcache/logcache-client.ts';
import { convertDumps } from '../lib/tools/recording/convert-dump.ts';
import { recordFromLogCache } from '../lib/tools/recording/record-logcache.ts';
import { createRecordingWriter } from '../lib/tools/recording/write-recording.ts';
import { createClientCredentialsProvider } from '../lib/adapters/uaa/client-credentials-provider.ts';
import { createPasswordGrantProvider } from '../lib/adapters/uaa/password-grant-provider.ts';
import { msToNs } from '../lib/core/time/ns.ts';
import { errorText } from '../lib/core/error-text.ts';
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
  --log-level <level>         info (default), warn, debug
`;

const fail = (message: string): never => {
  process.stderr.write(`record: ${message}\n\n${USAGE}`);
  process.exit(2);
};

let values;
try {
  ({ values } = parseArgs({
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
      'log-level': { type: 'string', default: 'info' },
    },
  }));
} catch (err) {
  fail(errorText(err));
}
const v = values!;
const duration = (flag: string, text: string | undefined): number => {
  try {
    return text === undefined ? 0 : parseGoDuration(text);
  } catch (err) {
    return fail(`--${flag}: ${errorText(err)}`);
  }
};
if (!v.out) fail('--out is required');
const out = v.out!;
const logger = createLogger({
  name: 'record',
  level: v['log-level'] as LoggerOptions['level'],
  destination: process.stderr as unknown as LoggerOptions['destination'],
});

const writer = await createRecordingWriter(out);
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
    const stats = await recordFromLogCache({
      read: (app, window) => client.readAll(app, window),
      apps: v.app!,
      fromNs,
      toNs: started + msToNs(durationMs),
      pollIntervalMs: duration('poll-interval', v['poll-interval']),
      lagMs: duration('lag', v.lag),
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
    await client.close();
    await writer.close();
    console.log(
      `${out}: ${stats.envelopes} envelopes from ${v.app!.length} app(s) in ${stats.polls} poll(s)${stats.failedReads > 0 ? `, ${stats.failedReads} failed read(s) retried` : ''}`,
    );
  }
} catch (err) {
  await writer.abort();
  process.stderr.write(`record failed: ${errorText(err)}\n`);
  process.exitCode = 1;
}
