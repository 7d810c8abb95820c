import pg from 'pg';
import type { OwnerType } from '@cm/contracts';
import type { RulesState } from '../rules-state.js';

/** Columns each entity type's facts come from, as `<column> AS "<field>"`; the same names as the events use. */
const ENTITY_SQL: Record<Exclude<OwnerType, 'campaign'>, { table: string; columns: string }> = {
  kingdom: { table: 'kingdom', columns: 'name' },
  location: { table: 'location', columns: 'name' },
  settlement: { table: 'settlement', columns: 'name, level, kingdom_id AS "kingdomId", location_id AS "locationId"' },
  structure: {
    table: 'structure',
    columns: 'name, structure_type AS "structureType", level, condition, settlement_id AS "settlementId"',
  },
  'world-event': {
    table: 'world_event',
    columns: `name, description, status, to_char(scheduled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "scheduledAt",
      to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "expiresAt", outcome`,
  },
};

/**
 * Loads every live entity, variable and field condition of the read model into `state`, in one read-only
 * repeatable-read transaction together with the projection checkpoint, and returns that checkpoint: the state
 * is then exactly the stream up to it, and the consumer continues at checkpoint + 1. A schema without the
 * read-model tables yet (a system whose projector has not migrated) loads as empty at checkpoint 0.
 */
export async function loadReadModel(databaseUrl: string, schema: string, state: RulesState): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'rules-service' });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const s = pg.escapeIdentifier(schema);
    const exists = await client.query<{ ok: string | null }>('SELECT to_regclass($1) AS ok', [
      `${schema}.projection_checkpoint`,
    ]);
    if (!exists.rows[0]?.ok) return 0;
    const checkpoint = await client.query<{ seq: string }>(
      `SELECT seq FROM ${s}.projection_checkpoint WHERE name = 'postgres'`,
    );
    const seq = Number(checkpoint.rows[0]?.seq ?? 0);

    const branches = await client.query<{ campaign_id: string; id: string }>(
      `SELECT campaign_id, id FROM ${s}.branch WHERE NOT deleted`,
    );
    for (const r of branches.rows) state.ensureBranch(r.campaign_id, r.id);
    const campaigns = await client.query(
      `SELECT id, name, description, owner_id AS "ownerId", archived FROM ${s}.campaign WHERE NOT deleted`,
    );
    for (const row of campaigns.rows) {
      for (const b of state.allBranches())
        if (b.campaignId === row.id) b.facts.put({ type: 'campaign', id: row.id, fields: { ...row } });
    }
    for (const [type, { table, columns }] of Object.entries(ENTITY_SQL) as [
      OwnerType,
      { table: string; columns: string },
    ][]) {
      const rows = await client.query(
        `SELECT campaign_id, branch_id, id, ${columns} FROM ${s}.${table} WHERE NOT deleted`,
      );
      for (const { campaign_id, branch_id, ...fields } of rows.rows)
        state.ensureBranch(campaign_id, branch_id).facts.put({ type, id: fields.id, fields });
    }
    const variables = await client.query(
      `SELECT campaign_id, branch_id, owner_type, owner_id, key, value FROM ${s}.state_variable WHERE NOT deleted`,
    );
    for (const r of variables.rows)
      state.ensureBranch(r.campaign_id, r.branch_id).facts.setVariable(r.owner_type, r.owner_id, r.key, r.value);
    const conditions = await client.query(
      `SELECT campaign_id, branch_id, id, entity_type, entity_id, field, expression, priority, active FROM ${s}.field_condition WHERE NOT deleted`,
    );
    for (const r of conditions.rows) {
      state.ensureBranch(r.campaign_id, r.branch_id).book.put({
        id: r.id,
        entityType: r.entity_type,
        entityId: r.entity_id,
        field: r.field,
        expression: r.expression,
        priority: r.priority,
        active: r.active,
      });
    }
    state.appliedSeq = seq;
    return seq;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end();
  }
}
