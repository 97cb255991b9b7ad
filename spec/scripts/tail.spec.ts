import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { silentLogger } from '../../lib/adapters/log/logger.ts';
import { parse } from '../../lib/core/json/bigint-json.ts';
import { attachDecisionStream } from '../../lib/adapters/live/decision-stream.ts';
import type { DecisionStream } from '../../lib/adapters/live/decision-stream.ts';
import type { Decision } from '../../lib/core/model/decision.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const script = join(import.meta.dirname, '..', '..', 'scripts', 'tail.ts');
const AT = 1_700_000_000_123_456_789n;
const decisions: Decision[] = [
  { kind: 'breaker-state', at: AT, appId: 'app-1', state: 'open', consecutiveFailures: 3 },
  { kind: 'rule-skipped', at: AT + 1n, appId: 'app-1', ruleIndex: 0, reason: 'invalid operator' },
];
const authenticate = (req: IncomingMessage) =>
  req.headers['x-forwarded-client-cert'] === 'cert' ? { ok: true as const } : { ok: false as const, reason: 'no cert' };

const run = (args: string[]) => {
  const child: ChildProcess = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (out.stdout += d));
  child.stderr!.on('data', (d: Buffer) => (out.stderr += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  void exit.then(() => clearTimeout(timer));
  return { child, out, exit };
};

const waitFor = async (what: string, check: () => boolean, withinMs = 10_000): Promise<void> => {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > withinMs) throw new Error(`timed out after ${withinMs} ms waiting for: ${what}`);
    await sleep(10);
  }
};

interface Ctx {
  server: Server;
  url: string;
  decision$: Subject<Decision>;
  stream: DecisionStream;
}
const test = suite<Ctx>('scripts/tail');

test.before.each(async (ctx) => {
  ctx.server = createServer();
  await new Promise<void>((r) => ctx.server.listen(0, '127.0.0.1', r));
  ctx.url = `ws://127.0.0.1:${(ctx.server.address() as { port: number }).port}/v1/decisions`;
  ctx.decision$ = new Subject();
  ctx.stream = attachDecisionStream({
    server: ctx.server,
    decision$: ctx.decision$,
    authenticate,
    logger: silentLogger(),
    heartbeatMs: 60_000,
  });
});
test.after.each(async (ctx) => {
  await ctx.stream.close();
  await new Promise((r) => ctx.server.close(r));
});

test('prints one readable line per event for the chosen app and kinds, and exits 0 on Ctrl-C', async (ctx) => {
  const t = run([
    '--url',
    ctx.url,
    '--app',
    'app-1',
    '--kinds',
    'breaker-state',
    '--header',
    'X-Forwarded-Client-Cert: cert',
  ]);
  await waitFor('the client', () => ctx.stream.clients() === 1);
  for (const d of decisions) ctx.decision$.next(d);
  await waitFor('the breaker line', () => t.out.stdout.includes('breaker-state'));
  t.child.kill('SIGINT');
  assert.is(await t.exit, 0);
  const lines = t.out.stdout.trim().split('\n');
  assert.is(lines.length, 2, t.out.stdout);
  assert.match(lines[0]!, /subscribed\s+apps app-1, kinds breaker-state/);
  assert.match(
    lines[1]!,
    /^2023-11-14T22:13:20\.123Z {2}app-1 +breaker-state +circuit breaker open after 3 consecutive failure\(s\)$/,
  );
});

test('prints the raw JSON with --json', async (ctx) => {
  const t = run(['--url', ctx.url, '--json', '--kinds', 'rule-skipped', '--header', 'X-Forwarded-Client-Cert: cert']);
  await waitFor('the client', () => ctx.stream.clients() === 1);
  for (const d of decisions) ctx.decision$.next(d);
  await waitFor('two lines', () => t.out.stdout.trim().split('\n').length === 2);
  t.child.kill('SIGINT');
  await t.exit;
  assert.equal(parse(t.out.stdout.trim().split('\n')[1]!), decisions[1]);
});

test('exits 1 and says why when the server refuses the credentials', async (ctx) => {
  const t = run(['--url', ctx.url]);
  assert.is(await t.exit, 1);
  assert.match(t.out.stderr, /refused with status 401/);
});

test('exits 2 with usage on bad arguments', async () => {
  for (const args of [
    ['--url', 'http://x/v1/decisions'],
    ['--url', 'ws://x', '--header', 'nocolon'],
  ]) {
    const t = run(args);
    assert.is(await t.exit, 2, args.join(' '));
    assert.match(t.out.stderr, /Usage: node scripts\/tail\.ts/);
  }
});

test.run();
