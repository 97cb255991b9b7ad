import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openTestDatabase } from '../support/database.ts';
import { cpuGauges, serviceConfigYaml, startPeers } from '../support/peers.ts';
import type { Peers } from '../support/peers.ts';
import { spawnService, urlWithSchema, writeConfig } from '../support/service-process.ts';
import type { LogLine, ServiceProcess } from '../support/service-process.ts';
import { withTopLevel } from '../support/config-yaml.ts';
import { loudHook } from '../support/loud-hook.ts';
import { bounded, until } from '../support/until.ts';
import { createScalingEngineModel } from '../../lib/tools/simulation/scaling-engine-model.ts';
import { startScalingEngineServer } from '../../lib/tools/simulation/scaling-engine-server.ts';
import type { ScaleCall, ScalingEngineServer } from '../../lib/tools/simulation/scaling-engine-server.ts';
import { IN_FLIGHT_REASON } from '../../pipelines/scale-on-breach.ts';
import { msToNs } from '../../lib/core/time/ns.ts';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;
interface Context {
  db: Db;
  peers: Peers;
  service?: ServiceProcess;
  revived?: ScalingEngineServer;
}

const APP = 'se-fault-app';
const INITIAL_BACKOFF_MS = 2_000;
const MAX_BACKOFF_MS = 4_000;
const TIMEOUT_MS = 2_000;
const SLOW_MS = 5_000;

// Switched by the tests.
let answer500 = false;
let slow = false;

const breachingPolicy = JSON.stringify({
  instance_min_count: 1,
  instance_max_count: 5,
  scaling_rules: [
    { metric_type: 'cpu', breach_duration_secs: 3, threshold: 70, operator: '>', cool_down_secs: 1, adjustment: '+1' },
  ],
});

const decisions = (service: ServiceProcess, kind: string, fromMs = 0): LogLine[] =>
  service.logs.filter((l) => l.decision === kind && l.appId === APP && Number(l.time) >= fromMs);

const callsOf = (server: { calls: ScaleCall[] }, fromMs = 0): ScaleCall[] =>
  server.calls.filter((c) => c.appId === APP && c.at >= fromMs);

/** A breaching app, the peers and the service, with the given top-level config lines. */
const startWith = async (context: Context, config: Record<string, string>): Promise<void> => {
  context.db = await bounded('opening the test database', 30_000, openTestDatabase());
  context.peers = await startPeers({
    scalingEngine: {
      forceStatus: () => (answer500 ? 500 : undefined),
      latencyMs: () => (slow ? SLOW_MS : 0),
    },
  });
  context.peers.logCache.store.add(...cpuGauges(APP, 91.2, -90, 300));
  await context.db
    .sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES (${APP}, CAST(${breachingPolicy}::text AS json), 'g1')`;
  const yaml = withTopLevel(
    serviceConfigYaml({ databaseUrl: urlWithSchema(context.db.url, context.db.schema), peers: context.peers }),
    { logging: '{ level: debug }', ...config },
  );
  context.service = spawnService(['-c', writeConfig(yaml)]);
  await context.service.started();
};

const stopAll = async (context: Context): Promise<void> => {
  await context.service?.stop('SIGKILL');
  await context.revived?.close();
  await context.peers?.close();
  await bounded('closing the test database', 15_000, context.db?.close() ?? Promise.resolve());
};

// ---
const down = suite<Context>('scaling engine down: the circuit breaker');

down.before(
  loudHook('setup', async (context: Context) => {
    answer500 = true;
    await startWith(context, {
      circuitBreaker: `{ back_off_initial_interval: ${INITIAL_BACKOFF_MS / 1000}s, back_off_max_interval: ${MAX_BACKOFF_MS / 1000}s, consecutive_failure_count: 2 }`,
    });
  }),
);
down.after(stopAll);

down('opens after 2 consecutive 500s and sends nothing while open', async ({ peers, service }) => {
  const opened = await until('the breaker to open', 30_000, () =>
    decisions(service!, 'breaker-state').find((l) => l.state === 'open'),
  );
  assert.is(opened.consecutiveFailures, 2);
  const calls = callsOf(peers.scalingEngine);
  assert.is(calls.length, 2, 'exactly the two failing calls reached the scaling engine');
  assert.ok(calls.every((c) => c.status === 500));
  // Breaches keep coming every second; each is refused without a call and says when the trial is.
  const refused = await until('refused breaches', 10_000, () => {
    const lines = decisions(service!, 'breaker-open', Number(opened.time));
    return lines.length >= 1 ? lines : undefined;
  });
  assert.ok(BigInt(String(refused[0]!.retryAfter)) > BigInt(String(opened.at)));
  assert.match(refused[0]!.msg, 'circuit breaker open, next trial after');
});

down(
  'lets one trial through strictly after each back-off, doubling up to the cap, while the engine stays down',
  async ({ peers, service }) => {
    const calls = await until('two half-open trials', 30_000, () => {
      const seen = callsOf(peers.scalingEngine);
      return seen.length >= 4 && seen.every((c) => c.status !== undefined) ? seen : undefined;
    });
    const [, second, firstTrial, secondTrial] = calls as [ScaleCall, ScaleCall, ScaleCall, ScaleCall];
    assert.ok(
      firstTrial.at - second.at > INITIAL_BACKOFF_MS,
      `first trial ${firstTrial.at - second.at}ms after the trip`,
    );
    assert.ok(
      secondTrial.at - firstTrial.at > MAX_BACKOFF_MS,
      `second trial ${secondTrial.at - firstTrial.at}ms after the first`,
    );
    assert.ok(
      decisions(service!, 'breaker-state').some((l) => l.state === 'half-open'),
      'the half-open state is logged',
    );
    // No call between the trials, although breaches arrived every second.
    assert.ok(
      decisions(service!, 'breaker-open', firstTrial.at).filter((l) => Number(l.time) < secondTrial.at).length >= 2,
    );
  },
);

down('closes on a successful trial once the engine answers again', async ({ peers, service }) => {
  // given
  const from = Date.now();
  // when
  answer500 = false;
  // then
  const closed = await until('the breaker to close', 20_000, () =>
    decisions(service!, 'breaker-state', from).find((l) => l.state === 'closed'),
  );
  const trial = callsOf(peers.scalingEngine, from)[0]!;
  assert.is(trial.status, 200);
  assert.ok(Number(closed.time) >= trial.at);
  assert.ok(decisions(service!, 'scaling-result', from).some((l) => l.ok === true));
});

down('opens after 2 refused connections, and trials reach the engine once it listens again', async (context) => {
  const { peers, service } = context;
  // given: the engine is gone, its port refusing connections
  await until('the cooldown after the last scale to pass', 10_000, () =>
    decisions(service!, 'scaling-result').at(-1)?.ok === true ? true : undefined,
  );
  const from = Date.now();
  const port = Number(new URL(peers.scalingEngine.url).port);
  await peers.scalingEngine.close();
  // when
  const opened = await until('the breaker to open on refused connections', 30_000, () =>
    decisions(service!, 'breaker-state', from).find((l) => l.state === 'open'),
  );
  const failures = decisions(service!, 'scaling-result', from).filter((l) => l.ok === false);
  assert.is(failures.length, 2);
  assert.ok(
    failures.every((l) => /ECONNREFUSED|ECONNRESET/.test(String(l.error))),
    String(failures[0]?.error),
  );
  const model = createScalingEngineModel({ now: () => msToNs(Date.now()), limits: () => ({ min: 1, max: 5 }) });
  context.revived = await startScalingEngineServer({ host: '127.0.0.1', port, model });
  // then
  const trial = await until('a trial at the revived engine', 20_000, () =>
    callsOf(context.revived!).find((c) => c.status !== undefined),
  );
  assert.is(trial.status, 200);
  assert.ok(
    trial.at - Number(opened.time) > INITIAL_BACKOFF_MS - 50,
    `trial ${trial.at - Number(opened.time)}ms after the trip`,
  );
  const attempts = decisions(service!, 'scaling-call', from).filter((l) => Number(l.time) < trial.at - 100);
  assert.is(attempts.length, 2, 'no call attempted while the breaker was open');
  await until('the breaker to close again', 10_000, () =>
    decisions(service!, 'breaker-state', Number(opened.time)).find((l) => l.state === 'closed'),
  );
});

down.run();

// ---
const slowEngine = suite<Context>('slow scaling engine: time-outs without pile-up');

slowEngine.before(
  loudHook('setup', async (context: Context) => {
    answer500 = false;
    slow = true;
    // The breaker stays out of the way: only the time-out and the in-flight guard shape the calls.
    await startWith(context, {
      http_client_timeout: `${TIMEOUT_MS / 1000}s`,
      circuitBreaker: '{ back_off_initial_interval: 1s, back_off_max_interval: 1s, consecutive_failure_count: 1000 }',
    });
  }),
);
slowEngine.after(stopAll);

slowEngine(
  'ends each call at http_client_timeout and never has two calls in flight for the app',
  async ({ peers, service }) => {
    const results = await until('three timed-out calls', 40_000, () => {
      const failed = decisions(service!, 'scaling-result').filter((l) => l.ok === false);
      return failed.length >= 3 ? failed : undefined;
    });
    const calls = decisions(service!, 'scaling-call').slice(0, results.length);
    for (const [i, result] of results.entries()) {
      assert.match(String(result.error), `request timed out after ${TIMEOUT_MS}ms`);
      const took = Number(result.time) - Number(calls[i]!.time);
      assert.ok(took >= TIMEOUT_MS - 50 && took < SLOW_MS - 500, `call ${i} took ${took}ms`);
      if (i > 0)
        assert.ok(
          Number(calls[i]!.time) >= Number(results[i - 1]!.time),
          `call ${i} started before call ${i - 1} ended`,
        );
    }
    // The engine saw the same: arrivals at least one time-out apart.
    const arrivals = callsOf(peers.scalingEngine).map((c) => c.at);
    for (let i = 1; i < arrivals.length; i++)
      assert.ok(arrivals[i]! - arrivals[i - 1]! >= TIMEOUT_MS - 50, `arrivals ${arrivals[i - 1]} and ${arrivals[i]}`);
    // Breaches kept arriving meanwhile; they were held back, not queued.
    const held = service!.logs.filter(
      (l) => l.decision === 'no-breach' && l.appId === APP && l.reason === IN_FLIGHT_REASON,
    );
    assert.ok(held.length >= 2, `${held.length} breaches held back while a call was in flight`);
  },
);

slowEngine('scales again as soon as the engine answers in time', async ({ peers, service }) => {
  const from = Date.now();
  slow = false;
  const ok = await until('a successful call', 20_000, () =>
    decisions(service!, 'scaling-result', from).find((l) => l.ok === true),
  );
  assert.is(ok.status, 200);
  assert.ok(callsOf(peers.scalingEngine, from).some((c) => c.status === 200));
});

slowEngine.run();
