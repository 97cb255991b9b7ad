import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openTestDatabase } from '../support/database.ts';
import { cpuGauges, serviceConfigYaml, startPeers } from '../support/peers.ts';
import type { Peers } from '../support/peers.ts';
import { spawnService, urlWithSchema, writeConfig } from '../support/service-process.ts';
import type { ServiceProcess } from '../support/service-process.ts';
import { withTopLevel } from '../support/config-yaml.ts';
import { loudHook } from '../support/loud-hook.ts';
import { bounded, sleep, until } from '../support/until.ts';
import { decisionsOf, explainOf, getText } from '../support/explain-client.ts';
import type { WireExplanation } from '../support/explain-client.ts';
import { createScalingEngineModel } from '../../lib/tools/simulation/scaling-engine-model.ts';
import { msToNs } from '../../lib/core/time/ns.ts';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;
interface Context {
  db: Db;
  peers: Peers;
  service?: ServiceProcess;
  base: string;
}

const RISING = 'explain-rising';
const CALM = 'explain-calm';
const AT_MAX = 'explain-at-max';
const BROKEN = 'explain-broken-engine';
const FIVE_REPORTING = 'explain-five-instances';
// The rising app's cpu goes over the threshold this many seconds after the setup.
const RISE_AFTER_SECS = 15;
const RISE_BREACH_SECS = 8;

const policyOf = (breachSecs: number) =>
  JSON.stringify({
    instance_min_count: 1,
    instance_max_count: 5,
    scaling_rules: [
      {
        metric_type: 'cpu',
        breach_duration_secs: breachSecs,
        threshold: 70,
        operator: '>',
        cool_down_secs: 60,
        adjustment: '+1',
      },
    ],
  });

const startService = async (context: Context, peers: Peers, apps: Record<string, string>, extra = {}) => {
  context.peers = peers;
  for (const [app, policy] of Object.entries(apps))
    await context.db
      .sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES (${app}, CAST(${policy}::text AS json), ${`${app}-g`})`;
  const yaml = withTopLevel(
    serviceConfigYaml({ databaseUrl: urlWithSchema(context.db.url, context.db.schema), peers }),
    extra,
  );
  context.service = spawnService(['-c', writeConfig(yaml)]);
  await context.service.started();
  context.base = `http://127.0.0.1:${context.service.ports().cf}`;
};

const stopAll = async (context: Context) => {
  await context.service?.stop('SIGKILL');
  await context.peers?.close();
  await bounded('closing the test database', 15_000, context.db?.close() ?? Promise.resolve());
};

const ruleOf = (e: WireExplanation) => e.rules[0]!;

// ---
const scaling = suite<Context>('explain: breaching, scaling, cooldown, not breaching, at bound, breaker open');

scaling.before(
  loudHook('setup', async (context: Context) => {
    context.db = await bounded('opening the test database', 30_000, openTestDatabase());
    const model = createScalingEngineModel({
      now: () => msToNs(Date.now()),
      limits: () => ({ min: 1, max: 5 }),
      initialInstances: (appId) => (appId === AT_MAX ? 5 : 1),
    });
    const peers = await startPeers({
      scalingEngine: { model, forceStatus: (call) => (call.appId === BROKEN ? 500 : undefined) },
    });
    peers.logCache.store.add(
      // A steep rise: the 60 s mean of the gauges crosses 70 within about two seconds.
      ...cpuGauges(RISING, 5, -90, RISE_AFTER_SECS),
      ...cpuGauges(RISING, 2000, RISE_AFTER_SECS, 400),
      ...cpuGauges(CALM, 20, -90, 400),
      ...cpuGauges(AT_MAX, 91, -90, 400),
      ...cpuGauges(BROKEN, 91, -90, 400),
      ...cpuGauges(FIVE_REPORTING, 91, -90, 400, 5),
    );
    await startService(context, peers, {
      [RISING]: policyOf(RISE_BREACH_SECS),
      [CALM]: policyOf(5),
      [AT_MAX]: policyOf(2),
      [BROKEN]: policyOf(2),
      // A breach duration longer than the spec: no call is made, the instance count alone says it.
      [FIVE_REPORTING]: policyOf(600),
    });
  }),
);
scaling.after(stopAll);

scaling(
  'an app over its threshold is breaching with growing progress, then scales and shows its cooldown',
  async ({ base }) => {
    // given the rising app is not breaching yet
    const calmFirst = await until('the rising app to have values', 20_000, async () => {
      const e = await explainOf(base, RISING);
      return ruleOf(e).values.length > 0 ? e : undefined;
    });
    assert.is(ruleOf(calmFirst).state, 'not-breaching', ruleOf(calmFirst).reason);
    // when its cpu rises: breaching, with the progress growing towards the breach duration
    const seen: number[] = [];
    await until(
      'two growing breach progress readings',
      30_000,
      async () => {
        const rule = ruleOf(await explainOf(base, RISING));
        if (rule.state === 'breaching') {
          assert.is(rule.breach_progress_secs.required, RISE_BREACH_SECS);
          assert.match(rule.reason, /cpu has been above 70 % for \d+ s of the required 8 s/);
          if (seen.at(-1) !== rule.breach_progress_secs.held) seen.push(rule.breach_progress_secs.held);
        }
        return seen.length >= 2 ? seen : undefined;
      },
      300,
    );
    assert.ok(seen[1]! > seen[0]!, `progress grows: ${seen.join(', ')}`);
    // then the journal holds the scaling call and its answer, and the rule shows the cooldown
    const journal = await until('the scaling call in the journal', 30_000, async () => {
      const entries = await decisionsOf(base, RISING);
      return entries.some((e) => e.event === 'scaling-answered') ? entries : undefined;
    });
    const events = journal.map((e) => e.event);
    assert.ok(events.indexOf('breach-started') < events.indexOf('scaling-sent'), events.join(','));
    assert.ok(events.indexOf('scaling-sent') < events.indexOf('scaling-answered'), events.join(','));
    const answered = journal.find((e) => e.event === 'scaling-answered')!;
    assert.is(answered.detail['adjustment'], 1);
    const explained = await until('the cooldown state', 10_000, async () => {
      const e = await explainOf(base, RISING);
      return ruleOf(e).state === 'cooldown' ? e : undefined;
    });
    assert.ok(explained.cooldown.active);
    assert.is(BigInt(explained.cooldown.until!), BigInt(answered.detail['cooldown_until'] as bigint));
    assert.match(ruleOf(explained).reason, /^scaled at \d\d:\d\d:\d\d UTC; in cooldown until \d\d:\d\d:\d\d UTC/);
    assert.is(explained.source, 'live');
    assert.ok(explained.owner.this_instance);
  },
);

scaling('an app under its threshold is not breaching and shows its values', async ({ base }) => {
  const e = await until('values of the calm app', 20_000, async () => {
    const x = await explainOf(base, CALM);
    return ruleOf(x).values.length >= 2 ? x : undefined;
  });
  const rule = ruleOf(e);
  assert.is(rule.state, 'not-breaching');
  const values = rule.values.map((v) => v.value);
  assert.ok(
    values.every((v) => v === '20'),
    values.join(','),
  );
  assert.ok(rule.values.every((v) => typeof v.timestamp === 'bigint' || typeof v.timestamp === 'number'));
  assert.match(rule.reason, 'cpu is not above 70 %: the last value is 20 %');
  assert.is(rule.breach_progress_secs.held, 0);
  assert.equal(await decisionsOf(base, CALM), [], 'an app that never changed state has an empty journal');
});

scaling('an app whose trigger the scaling engine ignores at instance_max_count is at-bound', async ({ base }) => {
  const e = await until('the at-bound state', 30_000, async () => {
    const x = await explainOf(base, AT_MAX);
    return ruleOf(x).state === 'at-bound' ? x : undefined;
  });
  assert.match(ruleOf(e).reason, /^instance count is already 5, the policy maximum; the scaling engine ignored/);
  // The trigger is still sent each time, but the journal holds the first hold only.
  await sleep(3_000);
  const entries = await decisionsOf(base, AT_MAX);
  assert.is(entries.filter((x) => x.event === 'bound-hold').length, 1, entries.map((x) => x.event).join(','));
  assert.is(entries.filter((x) => x.event === 'scaling-sent').length, 1);
});

scaling(
  'an app whose instances reporting stand at instance_max_count is at-bound before any call',
  async ({ base }) => {
    const e = await until('the at-bound state', 30_000, async () => {
      const x = await explainOf(base, FIVE_REPORTING);
      return ruleOf(x).state === 'at-bound' ? x : undefined;
    });
    assert.match(ruleOf(e).reason, /^instance count is already 5, the policy maximum; the trigger is still sent/);
    assert.is((await decisionsOf(base, FIVE_REPORTING)).filter((x) => x.event === 'scaling-sent').length, 0);
  },
);

scaling('a scaling engine failing three times opens the breaker: breaker-open', async ({ base }) => {
  const e = await until('the breaker-open state', 30_000, async () => {
    const x = await explainOf(base, BROKEN);
    return ruleOf(x).state === 'breaker-open' ? x : undefined;
  });
  assert.is(e.breaker.state, 'open');
  assert.is(e.breaker.consecutive_failures, 3);
  assert.match(ruleOf(e).reason, /^the scaling engine failed 3 times in a row \(last: .*500/);
  const events = (await decisionsOf(base, BROKEN)).map((x) => x.event);
  assert.is(events.filter((x) => x === 'scaling-answered').length, 3, events.join(','));
  assert.ok(events.includes('breaker-opened'), events.join(','));
});

scaling('decisions: newest or oldest first, and bounded by start and end', async ({ base }) => {
  const oldest = await decisionsOf(base, RISING);
  const newest = await decisionsOf(base, RISING, '?order=desc');
  assert.ok(oldest.length >= 3);
  assert.equal(
    newest.map((e) => e.event),
    oldest.map((e) => e.event).reverse(),
  );
  const second = BigInt(oldest[1]!.timestamp);
  const ranged = await decisionsOf(base, RISING, `?start=${second}&end=${second}`);
  assert.ok(ranged.length >= 1);
  assert.ok(ranged.every((e) => BigInt(e.timestamp) === second));
});

scaling('bad start, end and order give 400 with the bodies of the history API', async ({ base }) => {
  const queries = [
    '?start=abc',
    '?start=1&start=2',
    '?end=x',
    '?end=1&end=2',
    '?order=sideways',
    '?order=asc&order=desc',
    '?start=&order=up',
  ];
  for (const query of queries) {
    const ours = await getText(`${base}/v1/apps/${RISING}/decisions${query}`);
    const history = await getText(`${base}/v1/apps/${RISING}/aggregated_metric_histories/cpu${query}`);
    assert.is(ours.status, 400, query);
    assert.is(history.status, 400, query);
    assert.is(ours.body, history.body, query);
  }
});

scaling('explain of an app without a policy is 404 with a code and a message', async ({ base }) => {
  const { status, body } = await getText(`${base}/v1/apps/no-such-app/explain`);
  assert.is(status, 404);
  assert.equal(JSON.parse(body), { code: 'Not-Found', message: 'No policy found for app no-such-app' });
});

scaling('node scripts/explain.ts prints the explanation and the journal as text', async ({ base }) => {
  const script = join(import.meta.dirname, '..', '..', 'scripts', 'explain.ts');
  const out = spawnSync(process.execPath, [script, RISING, '--url', base, '--since', '10m'], { encoding: 'utf8' });
  assert.is(out.status, 0, out.stderr);
  assert.match(out.stdout, `app ${RISING} at `);
  assert.match(out.stdout, "(the owner's live state)");
  assert.match(out.stdout, /rule 1: cpu > 70 for 8 s: COOLDOWN \(held \d+ of 8 s\)\n {2}scaled at /);
  assert.match(
    out.stdout,
    /journal since \d\d:\d\d:\d\d UTC \(\d+ entries\):\n {2}\d\d:\d\d:\d\d UTC {2}breach-started\s+rule 1 {2}/,
  );
  assert.match(out.stdout, 'scaling-answered');
  const missing = spawnSync(process.execPath, [script, 'no-such-app', '--url', base], { encoding: 'utf8' });
  assert.is(missing.status, 1);
  assert.match(missing.stderr, '404 from /v1/apps/no-such-app/explain: No policy found for app no-such-app');
});

scaling('Prometheus counts the journal rows written', async ({ service }) => {
  const { body } = await getText(`http://127.0.0.1:${service!.ports().health}/health/prometheus`);
  const written = /autoscaler_eventgenerator_decision_journal_rows_written_total (\d+)/.exec(body);
  assert.ok(written && Number(written[1]) > 0, body.slice(0, 200));
  assert.match(body, 'autoscaler_eventgenerator_decision_journal_rows_dropped_total');
});

scaling.run();

// ---
const token = suite<Context>('explain: log-cache rejecting the token');

token.before(
  loudHook('setup', async (context: Context) => {
    context.db = await bounded('opening the test database', 30_000, openTestDatabase());
    const peers = await startPeers({ logCache: { requireToken: () => 'invalid' } });
    peers.logCache.store.add(...cpuGauges(CALM, 20, -90, 400));
    await startService(context, peers, { [CALM]: policyOf(3) });
  }),
);
token.after(stopAll);

token('shows no-data with the cause', async ({ base }) => {
  const e = await until('no-data with the token cause', 30_000, async () => {
    const x = await explainOf(base, CALM);
    return ruleOf(x).state === 'no-data' && (x.data.last_logcache_error?.failures ?? 0) >= 2 ? x : undefined;
  });
  assert.match(
    ruleOf(e).reason,
    /^no cpu metrics in the last 6 s: log-cache answered 404 \(token rejected\) (twice|\d+ times)/,
  );
  assert.match(e.data.last_logcache_error!.message, '404');
  const entries = await until('the data-missing entry', 10_000, async () => {
    const list = await decisionsOf(base, CALM);
    return list.length > 0 ? list : undefined;
  });
  assert.is(entries[0]!.event, 'data-missing');
});

token.run();
