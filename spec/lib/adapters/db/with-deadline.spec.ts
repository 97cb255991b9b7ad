import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withDeadline, writeWithDeadline } from '../../../../lib/adapters/db/with-deadline.ts';
import { isQueryDeadlineError } from '../../../../lib/adapters/db/query-deadline-error.ts';
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import postgres from 'postgres';
import { createAppMetricStore } from '../../../../lib/adapters/stores/app-metric-store.ts';
import { openTestDatabase } from '../../../support/database.ts';
import { urlWithSchema } from '../../../support/service-process.ts';
import { startTcpProxy, targetOf, viaProxy } from '../../../support/tcp-proxy.ts';
import type { TcpProxy } from '../../../support/tcp-proxy.ts';
import { bounded } from '../../../support/until.ts';

const deadline = suite('withDeadline');

deadline('settles like the query when it finishes in time', async () => {
  assert.is(await withDeadline(Promise.resolve(42), 1_000, 'answering'), 42);
  try {
    await withDeadline(Promise.reject(new Error('boom')), 1_000, 'failing');
    assert.unreachable('should have rejected');
  } catch (err) {
    assert.is((err as Error).message, 'boom');
  }
});

deadline('rejects a query that never settles with QueryDeadlineError naming the operation', async () => {
  const started = Date.now();
  try {
    await withDeadline(new Promise<never>(() => {}), 50, 'saving 3 app metrics');
    assert.unreachable('should have rejected');
  } catch (err) {
    assert.ok(isQueryDeadlineError(err));
    assert.is((err as Error).message, 'saving 3 app metrics did not finish within 50ms');
  }
  assert.ok(Date.now() - started >= 45);
});

deadline('leaves no timer behind once the query settled', async () => {
  const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  await withDeadline(Promise.resolve('ok'), 60_000, 'reading policy_json');
  assert.is(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, before);
});

deadline.run();

// ---
type Db = Awaited<ReturnType<typeof openTestDatabase>>;
const reset = suite<{ db: Db; proxy: TcpProxy }>('withDeadline around a postgres.js connection reset');

reset.before(async (context) => {
  context.db = await bounded('opening the test database', 30_000, openTestDatabase());
  context.proxy = await startTcpProxy(targetOf(context.db.url));
});
reset.after(async (context) => {
  await context.proxy?.close();
  await bounded('closing the test database', 15_000, context.db?.close() ?? Promise.resolve());
});

reset(
  'bounds a save handed to a connection between its socket error and close, which postgres.js never settles',
  async ({ db, proxy }) => {
    // given: a pool of one connection whose socket we watch
    let onReset: (() => void) | undefined;
    const url = viaProxy(urlWithSchema(db.url, db.schema), proxy);
    const watchedSocket = () =>
      new Promise<Socket>((resolve, reject) => {
        const socket = createConnection(proxy.port, '127.0.0.1');
        socket.once('connect', () => resolve(socket));
        socket.once('error', reject);
        // The check phase runs after the error event and before the close event of a reset socket.
        socket.on('error', () => setImmediate(() => onReset?.()));
      });
    // `socket` is a postgres.js option its type declarations leave out.
    const sql = postgres(url, { max: 1, onnotice: () => {}, ...({ socket: watchedSocket } as object) });
    const store = createAppMetricStore(sql, { now: () => 0n, saveDeadlineMs: 500 });
    try {
      await sql`SELECT 1`;
      const saved = new Promise<unknown>((resolve) => {
        onReset = () => {
          onReset = undefined;
          store
            .saveBulk([{ appId: 'reset-app', name: 'cpu', unit: '%', value: '1', timestamp: 1n }])
            .then(resolve, resolve);
        };
      });
      // when
      await proxy.cut();
      // then
      const outcome = await bounded('the save to settle', 5_000, saved);
      assert.ok(isQueryDeadlineError(outcome), `expected a deadline error, got ${String(outcome)}`);
      await proxy.restore();
    } finally {
      await sql.end({ timeout: 1 });
    }
  },
);

reset.run();

// ---
const write = suite<{ db: Db; sql: postgres.Sql }>(
  'deadlines against the database; a write reported failed never lands',
);

write.before(async (context) => {
  context.db = await bounded('opening the test database', 30_000, openTestDatabase());
  // One connection: a statement queued behind a write runs only once its transaction has ended.
  context.sql = postgres(urlWithSchema(context.db.url, context.db.schema), { max: 1, onnotice: () => {} });
  await context.sql`CREATE TABLE deadline_probe (id integer)`;
  await context.sql`CREATE TABLE slow_commit_probe (id integer)`;
  // A deferred constraint trigger runs at COMMIT: it makes the commit itself slow.
  await context.sql.unsafe(`CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_sleep(NEW.id / 1000.0); RETURN NULL; END $$`);
  await context.sql.unsafe(`CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON slow_commit_probe
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()`);
});
write.after(async (context) => {
  await context.sql?.end({ timeout: 1 });
  await bounded('closing the test database', 15_000, context.db?.close() ?? Promise.resolve());
});

const rowsOf = async (sql: postgres.Sql, table: string) =>
  Number((await sql`SELECT count(*)::int AS n FROM ${sql(table)}`)[0]!.n);

write(
  'withDeadline counts an answer that came while the thread was busy past the deadline as in time',
  async ({ sql }) => {
    const ask = () => sql`SELECT 'pong' AS answer, pg_sleep(0.05)`;
    await ask(); // prepared: the next one is a single round trip, answered 50 ms after it is sent
    const bounded = withDeadline(ask(), 20, 'asking the database');
    await new Promise((resolve) => setTimeout(resolve, 5)); // postgres.js has sent it
    // Busy in the check phase: the next loop turn starts with the (due) deadline timer.
    await new Promise((resolve) => setImmediate(resolve));
    const until = Date.now() + 300;
    while (Date.now() < until); // the answer comes in meanwhile
    assert.is((await bounded)[0]!.answer, 'pong');
  },
);

write('commits a write that finishes in time', async ({ sql }) => {
  const result = await writeWithDeadline(sql, (tx) => tx`INSERT INTO deadline_probe VALUES (1)`, 2_000, 'probing');
  assert.is(result.count, 1);
  assert.is(await rowsOf(sql, 'deadline_probe'), 1);
  await sql`DELETE FROM deadline_probe`;
});

write('rolls back a write whose statement finishes after the deadline', async ({ sql }) => {
  let error: unknown;
  try {
    await writeWithDeadline(
      sql,
      async (tx) => {
        await tx`INSERT INTO deadline_probe VALUES (2)`;
        return tx`SELECT pg_sleep(0.4)`;
      },
      100,
      'saving a slow probe',
    );
  } catch (err) {
    error = err;
  }
  assert.ok(isQueryDeadlineError(error), `expected a deadline error, got ${String(error)}`);
  assert.is((error as { mayHaveLanded?: boolean }).mayHaveLanded, false);
  // Queued behind the transaction on the one connection: counted once it has ended.
  assert.is(await rowsOf(sql, 'deadline_probe'), 0);
});

write('lets a commit on its way at the deadline decide, within a second deadline', async ({ sql }) => {
  // The row's id is the commit's delay in ms: 700 ms against a deadline of 500 ms.
  const result = await writeWithDeadline(
    sql,
    (tx) => tx`INSERT INTO slow_commit_probe VALUES (700)`,
    500,
    'saving with a slow commit',
  );
  assert.is(result.count, 1);
  assert.is(await rowsOf(sql, 'slow_commit_probe'), 1);
  await sql`DELETE FROM slow_commit_probe`;
});

write('reports a commit that outlasts the second deadline as failed', async ({ sql }) => {
  const started = Date.now();
  let error: unknown;
  try {
    await writeWithDeadline(sql, (tx) => tx`INSERT INTO slow_commit_probe VALUES (3000)`, 200, 'saving a stuck commit');
  } catch (err) {
    error = err;
  }
  assert.ok(isQueryDeadlineError(error), `expected a deadline error, got ${String(error)}`);
  assert.is((error as { mayHaveLanded?: boolean }).mayHaveLanded, true);
  assert.ok(Date.now() - started < 2_000, `reported after ${Date.now() - started} ms`);
});

write.run();
