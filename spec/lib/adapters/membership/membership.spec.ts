import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { asyncScheduler, lastValueFrom, toArray } from 'rxjs';
import type { Subscription } from 'rxjs';
import { openTestDatabase, databaseKind } from '../../../support/database.ts';
import { createLogger, silentLogger } from '../../../../lib/adapters/log/logger.ts';
import { applyMembershipSchema, createLeaseStore } from '../../../../lib/adapters/membership/lease-store.ts';
import type { LeaseStore } from '../../../../lib/adapters/membership/lease-store.ts';
import { createMemoryLeaseStore } from '../../../../lib/adapters/membership/memory-lease-store.ts';
import { createMembership } from '../../../../lib/adapters/membership/membership.ts';
import type { MembershipView } from '../../../../lib/adapters/membership/membership.ts';
import { rendezvousOwner } from '../../../../lib/adapters/membership/rendezvous.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const TTL = 1500;
const HEARTBEAT = 300;
const SLACK = 600;
const appIds = Array.from({ length: 300 }, (_, i) => `app-${i}`);

/** A store whose owner can make it hang (a stuck process or database) or fail (unreachable). */
const faulty = (inner: LeaseStore) => {
  let mode: 'ok' | 'hang' | 'fail' = 'ok';
  const store: LeaseStore = {
    ...inner,
    renew: (id, ttl, info) =>
      mode === 'hang'
        ? new Promise<void>(() => {})
        : mode === 'fail'
          ? Promise.reject(new Error('connect ECONNREFUSED'))
          : inner.renew(id, ttl, info),
  };
  return {
    store,
    set: (m: typeof mode) => {
      mode = m;
    },
  };
};

const member = (id: string, store: LeaseStore, logger = silentLogger()) => {
  const membership = createMembership({
    store,
    memberId: id,
    ttlMs: TTL,
    heartbeatMs: HEARTBEAT,
    scheduler: asyncScheduler,
    logger,
  });
  const views: MembershipView[] = [];
  const sub: Subscription = membership.view$.subscribe((v) => views.push(v));
  return { id, membership, views, sub, latest: () => views.at(-1) };
};
type Member = ReturnType<typeof member>;

const waitFor = async (what: string, check: () => boolean, withinMs: number): Promise<number> => {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > withinMs) throw new Error(`timed out after ${withinMs} ms waiting for: ${what}`);
    await sleep(10);
  }
  return Date.now() - start;
};

const owners = (members: readonly Member[], appId: string) =>
  members.filter((m) => m.latest()?.owns(appId)).map((m) => m.id);
const everyAppOwnedOnce = (members: readonly Member[]) => appIds.every((id) => owners(members, id).length === 1);

/** Checks on every tick that no app has two owners; returns the violations seen. */
const watchDoubleOwnership = (members: readonly Member[]) => {
  const violations: string[] = [];
  const timer = setInterval(() => {
    for (const id of appIds) {
      const o = owners(members, id);
      if (o.length > 1) violations.push(`${id} owned by ${o.join(' and ')}`);
    }
  }, 15);
  return { violations, stop: () => clearInterval(timer) };
};

// ---

const db = suite<{ db: Awaited<ReturnType<typeof openTestDatabase>>; members: Member[] }>(
  `createMembership over the database (${databaseKind()})`,
);

db.before.each(async (ctx) => {
  ctx.db = await openTestDatabase();
  await applyMembershipSchema(ctx.db.sql);
  ctx.members = [];
});
db.after.each(async (ctx) => {
  for (const m of ctx.members) {
    m.sub.unsubscribe();
    await m.membership.stop();
  }
  await ctx.db.close();
});

db(
  "hands a hung member's apps to the survivors within ttl + heartbeat, never to two at once, and back after it returns",
  async (ctx) => {
    // given three members that agree
    const store = createLeaseStore(ctx.db.sql);
    const victimStore = faulty(store);
    const [a, b, c] = [member('eg-a', store), member('eg-b', store), member('eg-c', victimStore.store)];
    ctx.members.push(a, b, c);
    const watch = watchDoubleOwnership([a, b, c]);
    await waitFor(
      'three active members that agree',
      () => [a, b, c].every((m) => m.latest()?.phase === 'active' && m.latest()?.members.length === 3),
      TTL * 3,
    );
    assert.ok(everyAppOwnedOnce([a, b, c]));
    const victimApps = appIds.filter((id) => rendezvousOwner(id, ['eg-a', 'eg-b', 'eg-c']) === 'eg-c');
    assert.ok(victimApps.length > 50);

    // when the victim hangs
    victimStore.set('hang');
    const lapsedAfter = await waitFor(
      'the victim to give up its apps',
      () => c.latest()?.phase === 'lapsed' && !victimApps.some((id) => c.latest()!.owns(id)),
      TTL + SLACK,
    );
    const takenAfter = await waitFor(
      'the survivors to own every app',
      () => appIds.every((id) => owners([a, b], id).length === 1),
      TTL + HEARTBEAT + SLACK,
    );

    // then
    assert.ok(lapsedAfter <= TTL + 100, `victim let go after ${lapsedAfter} ms`);
    assert.ok(takenAfter <= TTL + HEARTBEAT + SLACK, `taken over after ${takenAfter} ms`);
    assert.equal(a.latest()?.members, ['eg-a', 'eg-b']);

    // when it returns, it waits for the others to see it, then takes back exactly its own share
    victimStore.set('ok');
    // (the hung heartbeat is abandoned after ttl, then the hold-off lasts another ttl)
    await waitFor('the victim to be active again', () => c.latest()?.phase === 'active', TTL + HEARTBEAT + TTL + SLACK);
    assert.ok(
      c.views.some((v) => v.phase === 'holding'),
      'held off before owning',
    );
    await waitFor('every app owned once', () => everyAppOwnedOnce([a, b, c]), HEARTBEAT + SLACK);
    assert.equal(
      appIds.filter((id) => c.latest()!.owns(id)),
      victimApps,
    );
    watch.stop();
    assert.equal(watch.violations, []);
  },
);

db('answers only through the current view: a superseded view owns nothing', async (ctx) => {
  const store = createLeaseStore(ctx.db.sql);
  const a = member('eg-a', store);
  ctx.members.push(a);
  await waitFor('active alone', () => a.latest()?.phase === 'active', TTL * 2);
  const first = a.latest()!;
  assert.ok(first.owns('app-1'));
  const b = member('eg-b', store);
  ctx.members.push(b);
  await waitFor('a sees b', () => a.latest()?.members.length === 2, HEARTBEAT * 2 + SLACK);
  assert.ok(appIds.every((id) => !first.owns(id)));
});

db('hands over within a heartbeat when a member stops gracefully', async (ctx) => {
  const store = createLeaseStore(ctx.db.sql);
  const [a, b, c] = [member('eg-a', store), member('eg-b', store), member('eg-c', store)];
  ctx.members.push(a, b);
  const watch = watchDoubleOwnership([a, b, c]);
  await waitFor(
    'three active members',
    () => [a, b, c].every((m) => m.latest()?.phase === 'active' && m.latest()?.members.length === 3),
    TTL * 3,
  );
  const all$ = lastValueFrom(c.membership.view$.pipe(toArray()));

  await c.membership.stop();
  const takenAfter = await waitFor(
    'the survivors to own every app',
    () => appIds.every((id) => owners([a, b], id).length === 1),
    HEARTBEAT + SLACK,
  );

  assert.ok(takenAfter < TTL, `graceful handover took ${takenAfter} ms`);
  const seen = await all$;
  assert.is(seen.at(-1)?.phase, 'stopped');
  assert.is(seen.at(-1)?.owns('app-1'), false);
  const rows = await ctx.db.sql`SELECT member_id FROM eventgenerator_members ORDER BY member_id`;
  assert.equal(
    rows.map((r) => r.member_id),
    ['eg-a', 'eg-b'],
  );
  watch.stop();
  assert.equal(watch.violations, []);
});

db.run();

// ---

const mem = suite('createMembership');

mem('lapses at ttl when the database is unreachable, says why, and recovers behind a hold-off', async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const store = createMemoryLeaseStore(asyncScheduler);
  const broken = faulty(store);
  const other = member('eg-b', store);
  const m = member('eg-a', broken.store, createLogger({ destination: sink }));
  try {
    await waitFor(
      'both active',
      () => m.latest()?.phase === 'active' && other.latest()?.phase === 'active' && m.latest()?.members.length === 2,
      TTL * 3,
    );
    broken.set('fail');
    const after = await waitFor('lapsed', () => m.latest()?.phase === 'lapsed', TTL + SLACK);
    assert.ok(after <= TTL + 50, `lapsed after ${after} ms`);
    assert.ok(appIds.every((id) => !m.latest()!.owns(id)));
    assert.ok(lines.some((l) => l.level === 40 && /heartbeat failed \(connect ECONNREFUSED\)/.test(String(l.msg))));
    assert.ok(lines.some((l) => /owning no apps until it is renewed/.test(String(l.msg))));
    broken.set('ok');
    await waitFor('holding', () => m.latest()?.phase === 'holding', HEARTBEAT * 2 + SLACK);
    await waitFor('active again', () => m.latest()?.phase === 'active', TTL + SLACK);
    assert.ok(everyAppOwnedOnce([m, other]));
  } finally {
    for (const x of [m, other]) {
      x.sub.unsubscribe();
      await x.membership.stop();
    }
  }
});

mem('emits a new view only when the member list or the phase changes, and keeps owning across renewals', async () => {
  const store = createMemoryLeaseStore(asyncScheduler);
  const m = member('eg-a', store);
  try {
    await sleep(TTL * 2);
    assert.equal(
      m.views.map((v) => [v.phase, v.members]),
      [['active', ['eg-a']]],
    );
    assert.ok(typeof m.views[0]?.settledAt === 'bigint');
    assert.ok(
      appIds.every((id) => m.latest()!.owns(id)),
      'still owns every app after the first lease period',
    );
  } finally {
    m.sub.unsubscribe();
    await m.membership.stop();
  }
});

mem('never renews once stopped, even when first subscribed afterwards', async () => {
  const store = createMemoryLeaseStore(asyncScheduler);
  const membership = createMembership({
    store,
    memberId: 'eg-a',
    ttlMs: TTL,
    heartbeatMs: HEARTBEAT,
    scheduler: asyncScheduler,
    logger: silentLogger(),
  });
  await membership.stop();
  const views = await lastValueFrom(membership.view$.pipe(toArray()));
  assert.equal(
    views.map((v) => v.phase),
    ['stopped'],
  );
  assert.equal(await store.liveMembers(), []);
});

mem('rejects a heartbeat that is not shorter than the ttl', () => {
  const store = createMemoryLeaseStore(asyncScheduler);
  assert.throws(
    () =>
      createMembership({
        store,
        memberId: 'x',
        ttlMs: 1000,
        heartbeatMs: 1000,
        scheduler: asyncScheduler,
        logger: silentLogger(),
      }),
    /shorter than the lease ttl/,
  );
  assert.throws(
    () =>
      createMembership({
        store,
        memberId: 'x',
        ttlMs: 1000,
        heartbeatMs: 0,
        scheduler: asyncScheduler,
        logger: silentLogger(),
      }),
    /must be positive/,
  );
});

mem.run();
