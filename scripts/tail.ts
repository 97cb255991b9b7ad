/**
 * Follows the live decision stream and prints one readable line per event (time, app, kind, why).
 * Usage: node scripts/tail.ts --url ws://host:port/v1/decisions [--app <guid>]... [--kinds breach,scaling-result]
 *        [--json] [--header 'X-Forwarded-Client-Cert: <base64 DER>']...
 * Credentials in the URL (ws://user:pass@host/...) are sent as basic auth. Reconnects with backoff;
 * exits 1 when the server refuses (bad credentials or filter), 0 on Ctrl-C.
 */
import { createLogger } from '../lib/adapters/log/logger.ts';
import { stringify } from '../lib/core/json/bigint-json.ts';
import { decisionFeed } from '../lib/adapters/live/decision-feed.ts';
import { formatDecision } from '../lib/adapters/live/format-decision.ts';
import { exitWithUsage, parseCli } from '../lib/tools/cli/parse-cli.ts';

const USAGE = `Usage: node scripts/tail.ts [--url ws://host:port/v1/decisions] [options]

Prints the service's live decisions, one line each. With no --url it follows a local \`npm start\`.
  --url <ws-url>            the live feed; user:password@ in the URL is sent as basic auth
                            (default ws://127.0.0.1:$PORT/v1/decisions, PORT defaulting to 8080)
  --app <guid>              only this app (repeatable)
  --kinds <a,b>             only these kinds, e.g. breach,scaling-call,scaling-result,cooldown-hold
  --json                    print each event as JSON
  --header "Name: value"    an extra request header, e.g. X-Forwarded-Client-Cert (repeatable)
  -h, --help                this text
`;

const { values } = parseCli({
  name: 'tail',
  usage: USAGE,
  options: {
    url: { type: 'string', default: `ws://127.0.0.1:${process.env.PORT || '8080'}/v1/decisions` },
    app: { type: 'string', multiple: true },
    kinds: { type: 'string' },
    json: { type: 'boolean', default: false },
    header: { type: 'string', multiple: true },
  },
});
const log = createLogger({
  name: 'tail',
  destination: process.stderr,
  format: process.env.LOG_FORMAT === 'json' ? 'json' : 'pretty',
});
const fail = (message: string): never => exitWithUsage('tail', USAGE, message);

const headers: Record<string, string> = {};
for (const header of values.header ?? []) {
  const colon = header.indexOf(':');
  if (colon <= 0) fail(`--header must look like "Name: value", got ${JSON.stringify(header)}`);
  headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
}
try {
  const scheme = new URL(values.url!).protocol;
  if (scheme !== 'ws:' && scheme !== 'wss:') fail(`--url must be ws:// or wss://, got ${scheme}`);
} catch {
  fail(`--url is not a URL: ${values.url}`);
}

const subscription = decisionFeed({
  url: values.url!,
  appIds: values.app ?? [],
  kinds: values.kinds
    ?.split(',')
    .map((k) => k.trim())
    .filter((k) => k !== ''),
  headers,
}).subscribe({
  next: (event) => {
    switch (event.type) {
      case 'open':
        log.info('connected');
        break;
      case 'retry':
        log.warn({ attempt: event.attempt }, `${event.reason}; reconnecting in ${event.delayMs} ms`);
        break;
      case 'malformed':
        log.warn({ text: event.text }, `ignored a message that is not JSON: ${event.reason}`);
        break;
      case 'message':
        console.log(values.json ? stringify(event.message) : formatDecision(event.message));
        break;
    }
  },
  error: (err: Error) => {
    log.error(err.message);
    process.exitCode = 1;
  },
});

process.once('SIGINT', () => {
  subscription.unsubscribe();
  process.exit(0);
});
