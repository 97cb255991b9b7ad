import type { Sql } from 'postgres';

/**
 * Leases of running instances in the database they already share. Every time comparison uses the
 * database's clock (`now()`), so members whose clocks disagree still agree on who is alive.
 */
export interface LeaseStore {
  /** Creates or extends this member's lease to now() + ttlMs. */
  renew(memberId: string, ttlMs: number, info?: Readonly<Record<string, unknown>>): Promise<void>;
  /** Ends the lease at once, so the survivors take over without waiting for it to expire. */
  leave(memberId: string): Promise<void>;
  /** Ids of members whose lease has not expired, sorted. */
  liveMembers(): Promise<readonly string[]>;
  /** Deletes leases that expired more than `graceMs` ago (dead members never come back under the same id on CF). */
  pruneExpired(graceMs: number): Promise<number>;
}

export const MEMBERS_TABLE = 'eventgenerator_members';

/** Our own table, so the service may create it; idempotent. */
export const applyMembershipSchema = async (sql: Sql): Promise<void> => {
  await sql
    .unsafe(`CREATE TABLE IF NOT EXISTS ${MEMBERS_TABLE} (
      member_id text PRIMARY KEY,
      started_at timestamptz,
      heartbeat_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      info jsonb
    )`)
    .catch((err: { code?: string }) => {
      // Two instances starting together may race on CREATE; the loser's error is harmless.
      if (err.code !== '42P07' && err.code !== '23505') throw err;
    });
};

const checkTtl = (ttlMs: number): void => {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0)
    throw new RangeError(`lease ttl must be a positive whole number of ms, got ${ttlMs}`);
};

export const createLeaseStore = (sql: Sql): LeaseStore => ({
  async renew(memberId, ttlMs, info) {
    checkTtl(ttlMs);
    const infoJson = info === undefined ? null : JSON.stringify(info);
    await sql`
      INSERT INTO eventgenerator_members (member_id, started_at, heartbeat_at, expires_at, info)
      VALUES (${memberId}, now(), now(), now() + ${ttlMs}::integer * interval '1 millisecond', ${infoJson}::text::jsonb)
      ON CONFLICT (member_id) DO UPDATE SET
        heartbeat_at = excluded.heartbeat_at,
        expires_at = excluded.expires_at,
        -- a lease that had expired starts a new life; a live one keeps its start
        started_at = CASE WHEN eventgenerator_members.expires_at > now() THEN eventgenerator_members.started_at ELSE excluded.started_at END,
        info = COALESCE(excluded.info, eventgenerator_members.info)`;
  },
  async leave(memberId) {
    await sql`DELETE FROM eventgenerator_members WHERE member_id = ${memberId}`;
  },
  async liveMembers() {
    const rows = await sql<
      { member_id: string }[]
    >`SELECT member_id FROM eventgenerator_members WHERE expires_at > now()`;
    // Sorted here rather than by ORDER BY so the order never depends on the database's collation.
    return rows.map((r) => r.member_id).sort();
  },
  async pruneExpired(graceMs) {
    const rows =
      await sql`DELETE FROM eventgenerator_members WHERE expires_at < now() - ${graceMs}::integer * interval '1 millisecond' RETURNING member_id`;
    return rows.length;
  },
});
