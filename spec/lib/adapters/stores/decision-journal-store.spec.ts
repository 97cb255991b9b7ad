import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  applyJournalSchema,
  createDecisionJournalStore,
  JOURNAL_TABLE,
} from '../../../../lib/adapters/stores/decision-journal-store.ts';
import type { DecisionJournal, JournalEntry } from '../../../../lib/core/model/decision-journal.ts';
import { openTestDatabase } from '../../../support/database.ts';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;
interface Context {
  db: Db;
  journal: DecisionJournal;
  now: bigint;
}

const NS = 1_796_000_000_000_000_000n;
const entry = (at: bigint, over: Partial<JournalEntry> = {}): JournalEntry => ({
  appId: 'app-1',
  at,
  event: 'scaling-answered',
  ruleIndex: 0,
  metricType: 'cpu',
  values: ['91', '92'],
  reason: 'scaled by +1 instance(s)',
  detail: { ok: true, status: 200, adjustment: 1, cooldownUntil: NS + 300_000_000_000n },
  ...over,
});

const store = suite<Context>('decision-journal store');

store.before(async (context) => {
  context.db = await openTestDatabase();
  await applyJournalSchema(context.db.sql);
  context.now = NS + 10_000_000_000n;
  context.journal = createDecisionJournalStore(context.db.sql, { now: () => context.now });
});
store.after(async ({ db }) => db.close());
store.before.each(async ({ db }) => {
  await db.sql`DELETE FROM ${db.sql(JOURNAL_TABLE)}`;
});

store('appends a batch and reads it back exactly, ns and bigints included', async ({ journal }) => {
  const written = [
    entry(NS + 1n),
    entry(NS + 2n, { event: 'breaker-opened', detail: { consecutiveFailures: 3, error: 'HTTP 500' } }),
  ];
  const { ruleIndex: _r, metricType: _m, ...appWide } = entry(NS + 3n, { event: 'breaker-closed', values: [] });
  assert.is(await journal.append([...written, { ...appWide, detail: {} }]), 3);
  const read = await journal.read('app-1', 0n, -1n, 'ASC');
  assert.equal(read, [...written, { ...appWide, detail: {} }]);
  assert.is(typeof read[0]!.detail.cooldownUntil, 'bigint');
});

store('reads one app, within start and end inclusive, newest or oldest first, with a limit', async ({ journal }) => {
  await journal.append([entry(NS + 10n), entry(NS + 20n), entry(NS + 30n), entry(NS + 20n, { appId: 'other' })]);
  const at = (list: JournalEntry[]) => list.map((e) => e.at - NS);
  assert.equal(at(await journal.read('app-1', NS + 10n, NS + 20n, 'ASC')), [10n, 20n]);
  assert.equal(at(await journal.read('app-1', 0n, -1n, 'DESC')), [30n, 20n, 10n]);
  assert.equal(at(await journal.read('app-1', 0n, -1n, 'DESC', 2)), [30n, 20n]);
  assert.equal(at(await journal.read('other', 0n, -1n, 'ASC')), [20n]);
});

store('entries of the same instant keep the order they were appended in', async ({ journal }) => {
  await journal.append([
    entry(NS, { event: 'breach-started' }),
    entry(NS, { event: 'scaling-sent' }),
    entry(NS, { event: 'scaling-answered' }),
  ]);
  assert.equal(
    (await journal.read('app-1', 0n, -1n, 'ASC')).map((e) => e.event),
    ['breach-started', 'scaling-sent', 'scaling-answered'],
  );
  assert.equal(
    (await journal.read('app-1', 0n, -1n, 'DESC')).map((e) => e.event),
    ['scaling-answered', 'scaling-sent', 'breach-started'],
  );
});

store('prunes rows past the retention and, per app, beyond the row cap', async ({ journal }) => {
  await journal.append([
    entry(NS - 5n),
    ...Array.from({ length: 5 }, (_, i) => entry(NS + BigInt(i))),
    entry(NS + 1n, { appId: 'other' }),
  ]);
  const result = await journal.prune(NS - 1n, 3);
  assert.equal(result, { expired: 1, overCap: 2 });
  assert.equal(
    (await journal.read('app-1', 0n, -1n, 'ASC')).map((e) => e.at - NS),
    [2n, 3n, 4n],
  );
  assert.is((await journal.read('other', 0n, -1n, 'ASC')).length, 1);
});

store('the schema is our own table, created idempotently; the anchor tables are untouched', async ({ db }) => {
  const columns = async (table: string) =>
    (
      await db.sql<{ column_name: string }[]>`
        SELECT column_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = ${table} ORDER BY ordinal_position`
    ).map((r) => r.column_name);
  const before = { policy: await columns('policy_json'), metric: await columns('app_metric') };
  await applyJournalSchema(db.sql);
  await applyJournalSchema(db.sql);
  assert.equal(await columns('policy_json'), before.policy);
  assert.equal(await columns('app_metric'), before.metric);
  assert.ok((await columns(JOURNAL_TABLE)).includes('reason'));
});

store.run();
