import pg from 'pg';
import type { Role } from '@cm/contracts';

/** What the read model says about campaign members, and up to which stream sequence it says it. */
export interface MemberSnapshot {
  checkpoint: number;
  members: { campaignId: string; userId: string; role: Role }[];
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/**
 * Reads every live campaign member and the projection checkpoint in one snapshot (read-only SQL on the
 * query service's tables). A read model that does not exist yet reads as empty at checkpoint 0: the gateway
 * then takes membership from the stream alone.
 */
export async function loadMembers(
  databaseUrl: string,
  schema: string,
  projection = 'postgres',
): Promise<MemberSnapshot> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'realtime-gateway' });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const exists = await client.query<{ t: string | null }>(`SELECT to_regclass($1) AS t`, [
      `${quote(schema)}.projection_checkpoint`,
    ]);
    if (!exists.rows[0]?.t) return { checkpoint: 0, members: [] };
    const cp = await client.query<{ seq: string }>(
      `SELECT seq FROM ${quote(schema)}.projection_checkpoint WHERE name = $1`,
      [projection],
    );
    const rows = await client.query<{ campaign_id: string; user_id: string; role: Role }>(
      `SELECT campaign_id, user_id, role FROM ${quote(schema)}.campaign_member WHERE NOT deleted`,
    );
    return {
      checkpoint: Number(cp.rows[0]?.seq ?? 0),
      members: rows.rows.map((r) => ({ campaignId: r.campaign_id, userId: r.user_id, role: r.role })),
    };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end();
  }
}
