/**
 * Why did an app scale, or not? Prints the explanation and the decision journal of one app.
 * Usage: node scripts/explain.ts <app-guid> [--url http://host:port] [--since 1h] [--json]
 *        [--header 'Name: value']...
 * Credentials in the URL (http://user:pass@host/...) are sent as basic auth. Exits 0 when both answers
 * came, 1 when the service refused or failed (the reason is printed), 2 on a usage error.
 */
import { parseGoDuration } from '../lib/adapters/config/go-duration.ts';
import { errorText } from '../lib/core/error-text.ts';
import { parse } from '../lib/core/json/bigint-json.ts';
import { clockTime } from '../lib/core/explain/words.ts';
import { msToNs } from '../lib/core/time/ns.ts';
import { exitWithUsage, parseCli } from '../lib/tools/cli/parse-cli.ts';
import { renderExplanation, renderJournal } from '../lib/tools/explain/render-explanation.ts';
import type { JournalWireEntry, WireExplanation } from '../lib/tools/explain/render-explanation.ts';

const USAGE = `Usage: node scripts/explain.ts <app-guid> [--url http://host:port] [--since 1h] [--json] [--header "Name: value"]...

Prints why an app scaled or not: the explanation and the decision journal of one app.
  --url <url>               the service (default http://127.0.0.1:8080, the local npm start);
                            user:password@ in the URL is sent as basic auth
  --since <d>               how far back the journal goes (1h)
  --json                    print both answers as JSON
  --header "Name: value"    an extra request header, e.g. X-Forwarded-Client-Cert (repeatable)
  -h, --help                this text
`;

const fail = (message: string): never => exitWithUsage('explain', USAGE, message);

const { values, positionals } = parseCli({
  name: 'explain',
  usage: USAGE,
  allowPositionals: true,
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8080' },
    since: { type: 'string', default: '1h' },
    json: { type: 'boolean', default: false },
    header: { type: 'string', multiple: true },
  },
});
if (positionals.length !== 1) fail(positionals.length === 0 ? 'the app guid is missing' : 'one app guid, please');
const appId = positionals[0]!;

let sinceMs = 0;
try {
  sinceMs = parseGoDuration(values.since);
} catch (err) {
  fail(`--since: ${errorText(err)}`);
}
if (!(sinceMs > 0)) fail('--since must be a positive duration such as 30m or 2h');

let base: URL;
try {
  base = new URL(values.url);
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    fail(`--url must be http:// or https://, got ${base.protocol}`);
} catch {
  fail(`--url is not a URL: ${values.url}`);
}
const headers: Record<string, string> = {};
for (const header of values.header ?? []) {
  const colon = header.indexOf(':');
  if (colon <= 0) fail(`--header must look like "Name: value", got ${JSON.stringify(header)}`);
  headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
}
if (base!.username) {
  headers.Authorization = `Basic ${Buffer.from(`${decodeURIComponent(base!.username)}:${decodeURIComponent(base!.password)}`).toString('base64')}`;
  base!.username = '';
  base!.password = '';
}

const get = async (path: string): Promise<unknown> => {
  const url = new URL(path, base);
  let res: Response;
  try {
    res = await fetch(url, { headers });
  } catch (err) {
    console.error(`could not reach ${url.origin}: ${errorText((err as Error).cause ?? err)}`);
    process.exit(1);
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text.trim();
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not JSON: keep the text
    }
    console.error(`${res.status} from ${url.pathname}: ${message}`);
    process.exit(1);
  }
  return parse(text);
};

const startNs = msToNs(Date.now() - sinceMs);
const app = encodeURIComponent(appId);
const explanation = (await get(`/v1/apps/${app}/explain`)) as WireExplanation;
const journal = (await get(`/v1/apps/${app}/decisions?start=${startNs}&order=asc`)) as JournalWireEntry[];
if (values.json) {
  // int64 fields (ns timestamps) stay exact integers, as the service sent them.
  const exact = (_key: string, v: unknown) => (typeof v === 'bigint' ? JSON.rawJSON(v.toString()) : v);
  console.log(JSON.stringify({ explanation, journal }, exact, 2));
} else {
  console.log([...renderExplanation(explanation), '', ...renderJournal(journal, clockTime(startNs))].join('\n'));
}
