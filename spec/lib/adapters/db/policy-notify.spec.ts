import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { Writable } from 'node:stream';
import postgres from 'postgres';
import type { Subscription } from 'rxjs';
import { openTestDatabase, databaseKind } from '../../../support/database.ts';
import { createLogger } from '../../../../lib/adapters/log/logger.ts';
import {
  ALL_POLICIES,
  installPolicyNotifyTrigger,
  listenPolicyChanges,
  policyNotifyTriggerInstalled,
  removePolicyNotifyTrigger,
} from '../../../../lib/adapters/db/policy-notify.ts';
import { setTimeout as sleep } from 'node:timers/promises';

type TestDb = Awaited<ReturnType<typeof openTestDatabase>>;
const real = databaseKind() === 'postgres';

const logSink = () => {
  const lines: { level: number; msg: string }[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(c, _e, done) {
        lines.push(JSON.parse(String(c)));
        done();
      },
    }),
  });
  return { lines, logger };
};

const waitFor = async (what: string, check: () => boolean, withinMs: number): Promise<void> => {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > withinMs) throw new Error(`timed out after ${withinMs} ms waiting for: ${what}`);
    await sleep(10);
  }
};

const collect = (db: TestDb, logger = logSink().logger, options = {}) => {
  const seen: string[] = [];
  let completed = false;
  const sub: Subscription = listenPolicyChanges(db.sql, logger, { probeTimeoutMs: 1000, ...options }).subscribe({
    next: (id) => seen.push(id),
    complete: () => {
      completed = true;
    },
  });
  return { seen, sub, completed: () => completed };
};

const policy = '{"instance_min_count":1,"instance_max_count":2}';

// ---

const trigger = suite<{ db: TestDb }>(`installPolicyNotifyTrigger (${databaseKind()})`);
trigger.before.each(async (ctx) => {
  ctx.db = await openTestDatabase();
});
trigger.after.each(async (ctx) => ctx.db.close());

trigger('installs idempotently, leaves writes working, and can be removed', async ({ db }) => {
  assert.is(await policyNotifyTriggerInstalled(db.sql), false);
  await Promise.all([installPolicyNotifyTrigger(db.sql), installPolicyNotifyTrigger(db.sql)]);
  await installPolicyNotifyTrigger(db.sql);
  assert.is(await policyNotifyTriggerInstalled(db.sql), true);
  await db.sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES ('a-1', ${policy}, 'g1')`;
  await db.sql`UPDATE policy_json SET guid = 'g2' WHERE app_id = 'a-1'`;
  await db.sql`DELETE FROM policy_json WHERE app_id = 'a-1'`;
  await db.sql`TRUNCATE policy_json`;
  await removePolicyNotifyTrigger(db.sql);
  assert.is(await policyNotifyTriggerInstalled(db.sql), false);
  await db.sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES ('a-2', ${policy}, 'g1')`;
});

trigger.run();

// ---

const listen = suite<{ db: TestDb }>(`listenPolicyChanges (${databaseKind()})`);
listen.before.each(async (ctx) => {
  ctx.db = await openTestDatabase();
  await installPolicyNotifyTrigger(ctx.db.sql);
});
listen.after.each(async (ctx) => ctx.db.close());

if (!real) {
  listen(
    'completes without emitting on the embedded database, which does not deliver notifications, and says so',
    async ({ db }) => {
      const { lines, logger } = logSink();
      const c = collect(db, logger);
      await db.sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES ('a-1', ${policy}, 'g1')`;
      await waitFor('completion', c.completed, 3000);
      assert.equal(c.seen, []);
      assert.ok(
        lines.some((l) => l.level === 40 && /does not deliver notifications .* polling only/.test(l.msg)),
        JSON.stringify(lines),
      );
    },
  );
}

if (real) {
  listen(
    'emits the app id of every inserted, updated and deleted policy, and everything on TRUNCATE',
    async ({ db }) => {
      const { lines, logger } = logSink();
      const c = collect(db, logger);
      await waitFor('confirmed delivery', () => lines.some((l) => /arrive by notification/.test(l.msg)), 3000);
      await db.sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES ('a-1', ${policy}, 'g1'), ('a-2', ${policy}, 'g1')`;
      await db.sql`UPDATE policy_json SET policy_json = ${policy} WHERE app_id = 'a-2'`;
      await db.sql`UPDATE policy_json SET app_id = 'a-3' WHERE app_id = 'a-1'`;
      await db.sql`DELETE FROM policy_json WHERE app_id = 'a-2'`;
      await db.sql`TRUNCATE policy_json`;
      await waitFor('six notifications', () => c.seen.length >= 7, 3000);
      c.sub.unsubscribe();
      assert.equal(c.seen, ['a-1', 'a-2', 'a-2', 'a-1', 'a-3', 'a-2', ALL_POLICIES]);
    },
  );

  listen("ignores other schemas' changes and warns about a malformed payload without stopping", async ({ db }) => {
    const { lines, logger } = logSink();
    const c = collect(db, logger);
    await waitFor('confirmed delivery', () => lines.some((l) => /arrive by notification/.test(l.msg)), 3000);
    await db.sql`SELECT pg_notify('policy_json_changed', '{"schema":"someone_else","app_id":"x"}')`;
    await db.sql`SELECT pg_notify('policy_json_changed', 'garbage')`;
    await db.sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES ('a-9', ${policy}, 'g1')`;
    await waitFor('the insert', () => c.seen.length >= 1, 3000);
    c.sub.unsubscribe();
    assert.equal(c.seen, ['a-9']);
    assert.ok(lines.some((l) => l.level === 40 && /malformed notification .*not JSON: garbage/.test(l.msg)));
  });

  listen('says everything may have changed after its connection was cut, then goes on', async ({ db }) => {
    // a client of its own, named so that only its connections are cut (channels are database-wide)
    const own = postgres(process.env.TEST_DATABASE_URL!, {
      max: 2,
      onnotice: () => {},
      connection: { search_path: db.schema!, application_name: db.schema! },
    });
    const { lines, logger } = logSink();
    const seen: string[] = [];
    const sub = listenPolicyChanges(own, logger, { probeTimeoutMs: 1000 }).subscribe((id) => seen.push(id));
    try {
      await waitFor('confirmed delivery', () => lines.some((l) => /arrive by notification/.test(l.msg)), 3000);
      await db.sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = ${db.schema!} AND query = 'listen "policy_json_changed"'`;
      await waitFor('a resync', () => seen.includes(ALL_POLICIES), 5000);
      await db.sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES ('a-5', ${policy}, 'g1')`;
      await waitFor('the insert', () => seen.includes('a-5'), 3000);
      assert.equal(
        seen.filter((s) => s !== ALL_POLICIES),
        ['a-5'],
      );
    } finally {
      sub.unsubscribe();
      await own.end({ timeout: 1 });
    }
  });

  listen('notices with a probe that notifications stopped, reconnects with backoff and resyncs', async ({ db }) => {
    // given a client that reaches the server through a proxy we can cut
    const target = new URL(process.env.TEST_DATABASE_URL!);
    const sockets = new Set<Socket>();
    const listeners = new Set<Socket>();
    let refusing = false;
    const proxy: Server = createServer((client) => {
      if (refusing) {
        client.destroy();
        return;
      }
      const upstream = connect(Number(target.port || 5432), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
      }
      client.on('data', (d: Buffer) => {
        if (d.includes('listen "policy_json_changed"')) listeners.add(client).add(upstream);
      });
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as { port: number }).port;
    const viaProxy = postgres(`postgres://${target.username}@127.0.0.1:${port}${target.pathname}`, {
      max: 2,
      onnotice: () => {},
      connection: { search_path: db.schema! },
      connect_timeout: 2,
    });
    const { lines, logger } = logSink();
    const seen: string[] = [];
    const sub = listenPolicyChanges(viaProxy, logger, {
      probeIntervalMs: 300,
      probeTimeoutMs: 500,
      backoff: () => 200,
    }).subscribe((id) => seen.push(id));
    try {
      await waitFor('confirmed delivery', () => lines.some((l) => /arrive by notification/.test(l.msg)), 3000);
      // when the listening connection is cut and reconnecting fails for a while, postgres.js gives up
      // re-listening without a word while queries on the pool still work
      refusing = true;
      for (const s of listeners) s.destroy();
      await waitFor(
        'the probe to notice',
        () => lines.some((l) => /notifications stopped arriving .*listening again in 200 ms/.test(l.msg)),
        5000,
      );
      refusing = false;
      // then it listens again, says everything may have changed, and delivers again
      await waitFor('a resync', () => seen.includes(ALL_POLICIES), 5000);
      await db.sql`INSERT INTO policy_json (app_id, policy_json, guid) VALUES ('a-7', ${policy}, 'g1')`;
      await waitFor('the insert', () => seen.includes('a-7'), 3000);
    } finally {
      sub.unsubscribe();
      await viaProxy.end({ timeout: 1 });
      for (const s of sockets) s.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });
}

listen.run();
