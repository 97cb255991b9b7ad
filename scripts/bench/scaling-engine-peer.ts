/**
 * The scaling engine of decision-latency.ts, in a process of its own so that answering a burst of
 * POSTs does not take CPU from the pipeline being measured. It notes when each app's first POST
 * arrives (before reading the body), checks the body and answers after `--reply-delay-ms`.
 * Started with fork(); reports `{ url }` once listening and answers `'report'` with
 * `{ arrivals, invalid }`, arrival times in ms since the epoch (performance.timeOrigin + now()),
 * comparable across processes. Ends when the parent disconnects.
 * Usage (by fork): scaling-engine-peer.ts --reply-delay-ms D
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { asyncScheduler } from 'rxjs';
import { stringify } from '../../lib/core/json/bigint-json.ts';
import { nowNs, secondsToNs } from '../../lib/core/time/ns.ts';
import { parseTriggerBody } from '../../lib/tools/simulation/scaling-engine-server.ts';

export interface EngineReport {
  readonly arrivals: readonly (readonly [string, number])[];
  readonly invalid: readonly string[];
}

const { values } = parseArgs({ options: { 'reply-delay-ms': { type: 'string' } } });
const replyDelayMs = Number(values['reply-delay-ms'] ?? 0);
if (!(Number.isFinite(replyDelayMs) && replyDelayMs >= 0) || !process.send)
  throw new Error('scaling-engine-peer: start it with fork() and --reply-delay-ms');

const arrivals = new Map<string, number>();
const invalid: string[] = [];
const server = createServer((req, res) => {
  const arrived = performance.timeOrigin + performance.now();
  const appId = decodeURIComponent(/^\/v1\/apps\/([^/]+)\/scale$/.exec(req.url ?? '')?.[1] ?? '');
  if (!arrivals.has(appId)) arrivals.set(appId, arrived);
  let body = '';
  req.on('data', (chunk: Buffer) => {
    body += chunk;
  });
  req.on('end', () => {
    const trigger = parseTriggerBody(body);
    if (!trigger || req.method !== 'POST') invalid.push(`${req.method} ${req.url}: ${body.slice(0, 80)}`);
    const reply = stringify({
      app_id: appId,
      status: 0,
      adjustment: 1,
      cool_down_expired_at: nowNs(asyncScheduler) + secondsToNs(300),
    });
    const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(reply);
    if (replyDelayMs > 0) setTimeout(answer, replyDelayMs);
    else answer();
  });
});
// A Go server listens with the kernel's somaxconn (4096 on current Linux); Node's default of 511
// dropped the SYNs of a burst of 1,000 new connections, and each dropped one came again a second
// later, which made a burst's p99 a second whenever the burst outran the accept loop.
await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
process.on('message', (message) => {
  if (message === 'report') process.send?.({ arrivals: [...arrivals], invalid } satisfies EngineReport);
});
process.on('disconnect', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
process.send({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
