import type { Sql } from 'postgres';
import { MEMBERS_TABLE } from './lease-store.ts';

/**
 * The instance index each live member wrote into its lease row (`info.instanceIndex`), so that a
 * member id can be turned into the `X-Cf-App-Instance` value that reaches it.
 */
export const createMemberDirectory = (sql: Sql) => ({
  async instanceIndexes(): Promise<ReadonlyMap<string, number>> {
    const rows = await sql<{ member_id: string; info: unknown }[]>`
      SELECT member_id, info FROM ${sql(MEMBERS_TABLE)} WHERE expires_at > now()`;
    const out = new Map<string, number>();
    for (const row of rows) {
      const info = typeof row.info === 'string' ? (JSON.parse(row.info) as unknown) : row.info;
      const index = (info as { instanceIndex?: unknown } | null)?.instanceIndex;
      if (typeof index === 'number' && Number.isInteger(index)) out.set(row.member_id, index);
    }
    return out;
  },
});

export type MemberDirectory = ReturnType<typeof createMemberDirectory>;
