import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { openTestDatabase, databaseKind } from '../../../support/database.ts';
import { applyMembershipSchema, createLeaseStore } from '../../../../lib/adapters/membership/lease-store.ts';

type TestDb = Awaited<ReturnType<typeof openTestDatabase>>;
const test = suite<{ db: TestDb }>(`leaseStore (${databaseKind()})`);

test.before.each(async (ctx) => {
  ctx.db = await openTestDatabase();
  await applyMembershipSchema(ctx.db.sql);
});
test.after.each(async (ctx) => ctx.db.close());

test('creates its table idempotently', async ({ db }) => {
  await applyMembershipSchema(db.sql);
  const rows =
    await db.sql`SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'eventgenerator_members'`;
  assert.equal(rows.map((r) => r.column_name).sort(), [
    'expires_at',
    'heartbeat_at',
    'info',
    'member_id',
    'started_at',
  ]);
});

test('lists renewed members sorted, and forgets one that leaves', async ({ db }) => {
  const store = createLeaseStore(db.sql);
  await store.renew('eg-b', 60_000);
  await store.renew('eg-a', 60_000, { index: 0 });
  await store.renew('eg-c', 60_000);
  assert.equal(await store.liveMembers(), ['eg-a', 'eg-b', 'eg-c']);
  await store.leave('eg-b');
  assert.equal(await store.liveMembers(), ['eg-a', 'eg-c']);
  const [row] = await db.sql`SELECT info FROM eventgenerator_members WHERE member_id = 'eg-a'`;
  assert.equal(row?.info, { index: 0 });
});

test('drops a member whose lease was not renewed within its ttl, by the database clock', async ({ db }) => {
  const store = createLeaseStore(db.sql);
  await store.renew('eg-short', 300);
  await store.renew('eg-long', 60_000);
  assert.equal(await store.liveMembers(), ['eg-long', 'eg-short']);
  await sleep(450);
  assert.equal(await store.liveMembers(), ['eg-long']);
  // renewing brings it back with a fresh start time
  const [before] = await db.sql`SELECT started_at FROM eventgenerator_members WHERE member_id = 'eg-short'`;
  await store.renew('eg-short', 60_000);
  const [after] =
    await db.sql`SELECT started_at, heartbeat_at, expires_at FROM eventgenerator_members WHERE member_id = 'eg-short'`;
  assert.ok(after!.started_at > before!.started_at);
  assert.ok(after!.expires_at.getTime() - after!.heartbeat_at.getTime() === 60_000);
  assert.equal(await store.liveMembers(), ['eg-long', 'eg-short']);
});

test('keeps the start time while a lease stays alive', async ({ db }) => {
  const store = createLeaseStore(db.sql);
  await store.renew('eg-a', 60_000);
  const [first] = await db.sql`SELECT started_at, heartbeat_at FROM eventgenerator_members`;
  await sleep(20);
  await store.renew('eg-a', 60_000);
  const [second] = await db.sql`SELECT started_at, heartbeat_at FROM eventgenerator_members`;
  assert.equal(second!.started_at, first!.started_at);
  assert.ok(second!.heartbeat_at > first!.heartbeat_at);
});

test('prunes only leases expired for longer than the grace period', async ({ db }) => {
  const store = createLeaseStore(db.sql);
  await store.renew('eg-dead', 1);
  await store.renew('eg-alive', 60_000);
  await sleep(50);
  assert.is(await store.pruneExpired(60_000), 0);
  assert.is(await store.pruneExpired(10), 1);
  const rows = await db.sql`SELECT member_id FROM eventgenerator_members`;
  assert.equal(
    rows.map((r) => r.member_id),
    ['eg-alive'],
  );
});

test('rejects a ttl that is not a positive whole number of ms', async ({ db }) => {
  const store = createLeaseStore(db.sql);
  for (const ttl of [0, -5, 1.5, Number.NaN]) {
    try {
      await store.renew('eg-a', ttl);
      assert.unreachable(`ttl ${ttl} accepted`);
    } catch (err) {
      assert.instance(err, RangeError);
      assert.match((err as Error).message, /lease ttl/);
    }
  }
  assert.equal(await store.liveMembers(), []);
});

test.run();
