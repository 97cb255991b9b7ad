import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { availableParallelism, loadavg } from 'node:os';
import { spawnService } from '../support/service-process.ts';
import type { ServiceProcess } from '../support/service-process.ts';

const demo = suite<{ service?: ServiceProcess; spawnedAt: number }>('npm start on embedded defaults');

demo.before((context) => {
  context.spawnedAt = Date.now();
  context.service = spawnService([], { PORT: '0' });
});
demo.after(async (context) => {
  await context.service?.stop('SIGKILL');
});

// The embedded database's boot is CPU-bound: on a machine starved by other work it alone can take
// longer than the support's 30 s start bound, which is not what these cases are about.
const startedLine = (service: ServiceProcess) =>
  service.waitForLog((l) => l.msg.startsWith('eventgenerator started:'), 120_000, 'the service to start');

demo('says up front what will happen and where to look', async ({ service }) => {
  await startedLine(service!);
  const text = service!.logs.map((l) => l.msg).join('\n');
  const { cf } = service!.ports();
  assert.match(text, /what to expect: app \S+ has had cpu > 70 for 120 s .* within about 15 s/);
  assert.match(
    text,
    new RegExp(`where to look: history http://127\\.0\\.0\\.1:${cf}/v1/apps/\\S+/aggregated_metric_histories/cpu`),
  );
  assert.match(text, new RegExp(`where to look: why it decided http://127\\.0\\.0\\.1:${cf}/v1/apps/\\S+/explain`));
  assert.match(text, new RegExp(`ws://127\\.0\\.0\\.1:${cf}/v1/decisions, or in another terminal: npm run tail`));
});

demo('shows its first scaling decision within 30 s of start', async ({ service, spawnedAt }) => {
  const started = Number((await startedLine(service!)).time);
  const result = await service!.waitForLog(
    (l) => l.decision === 'scaling-result',
    30_000,
    'the first scaling decision',
  );
  // The service decides at its first evaluation, whatever the machine does: a 5 s tick, then the call.
  const afterStart = Number(result.time) - started;
  assert.ok(afterStart <= 15_000, `${afterStart} ms after the service started`);
  // From the command to the decision, most of the time is the embedded database's boot; on a
  // machine starved of CPU by other work (load above twice its cores) that alone can take 30 s.
  const elapsed = Number(result.time) - spawnedAt;
  const starved = loadavg()[0]! > 2 * availableParallelism();
  if (!starved) assert.ok(elapsed <= 30_000, `${elapsed} ms after npm start`);
  else if (elapsed > 30_000)
    console.log(`note: ${elapsed} ms after npm start on a starved machine (load ${loadavg()[0]})`);
  assert.match(result.msg, /scaling engine answered 200, instances \+2; cooldown until/);
  const call = service!.logs.find((l) => l.decision === 'scaling-call');
  assert.match(String(call?.msg), /rule #0 \(cpu > 70% for 120s, adjustment \+2\) breached/);
});

demo('serves the history and the explanation the announcement points at', async ({ service }) => {
  const url = String(service!.logs.find((l) => typeof l.history === 'string')?.history);
  const response = await fetch(url);
  assert.is(response.status, 200);
  const rows = (await response.json()) as { value: string }[];
  assert.ok(rows.length >= 10, `${rows.length} app metrics, history included`);
  const explain = String(service!.logs.find((l) => typeof l.explain === 'string')?.explain);
  const answer = await fetch(explain);
  assert.is(answer.status, 200, 'the explain URL answers');
});

demo('exits 0 on SIGTERM within the shutdown bound', async ({ service }) => {
  const started = Date.now();
  assert.is(await service!.stop('SIGTERM', 10_000), 0);
  assert.ok(Date.now() - started < 8_500, `${Date.now() - started} ms`);
});

demo.run();
