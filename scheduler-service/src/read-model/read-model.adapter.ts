import pg from 'pg';

/** A variable as the read model stores it: `value_type` and the JSON value. */
export interface StoredValue {
  type: string;
  value: unknown;
}

export interface SettlementRow {
  id: string;
  level: number;
  population: StoredValue | null;
  growthRate: StoredValue | null;
}

export interface StructureRow {
  id: string;
  condition: number;
  decayRate: StoredValue | null;
  needsRepair: StoredValue | null;
}

export interface WorldEventRow {
  campaignId: string;
  branchId: string;
  id: string;
  status: string;
  scheduledAt: string;
  expiresAt: string | null;
  effects: unknown[];
}

/** One job's slice of a campaign branch: the ids in `(afterId, toId]`. */
export interface Batch {
  campaignId: string;
  branchId: string;
  afterId: string | null;
  toId: string | null;
}

// Only live campaigns and branches get timed work: archived or deleted ones are left alone.
const LIVE = (alias: string) => `
  JOIN %s.campaign c ON c.id = ${alias}.campaign_id AND NOT c.deleted AND NOT c.archived
  JOIN %s.branch b ON b.campaign_id = ${alias}.campaign_id AND b.id = ${alias}.branch_id AND NOT b.deleted`;

/**
 * One variable of each row of `owner`, as a lateral lookup by the whole primary key. `LIMIT 1` keeps Postgres from
 * flattening it into a join: with the statistics of a table the projector has just filled, the planner estimated
 * one row per side and probed the key without `owner_id`, reading every settlement variable per settlement (a
 * 500-settlement batch of a 10,000-settlement campaign took seconds instead of milliseconds).
 */
function variable(alias: string, owner: string, ownerType: string, key: string): string {
  return `LEFT JOIN LATERAL (SELECT value_type, value FROM %s.state_variable v
            WHERE v.campaign_id = ${owner}.campaign_id AND v.branch_id = ${owner}.branch_id AND v.owner_type = '${ownerType}'
              AND v.owner_id = ${owner}.id AND v.key = '${key}' AND NOT v.deleted LIMIT 1) ${alias} ON true`;
}

/**
 * The scheduler's read-only view of the Postgres read model (docs/read-model.md): set-based SQL, one statement per
 * call, in a read-only transaction mode so that a mistake here can never write.
 */
export class SchedulerReadModel {
  private readonly pool: pg.Pool;
  private readonly s: string;

  constructor(url: string, schema: string, poolMax: number) {
    this.pool = new pg.Pool({ connectionString: url, max: poolMax, options: '-c default_transaction_read_only=on' });
    this.s = `"${schema}"`;
  }

  private sql(text: string): string {
    return text.replaceAll('%s', this.s);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /**
   * Batches of `size` entities per live campaign branch, in id order: the upper bound of each batch, the last one
   * open so that what was created after planning still gets its turn.
   */
  async batches(table: 'settlement' | 'structure', size: number): Promise<Batch[]> {
    const { rows } = await this.pool.query<{
      campaign_id: string;
      branch_id: string;
      id: string;
      rn: string;
      n: string;
    }>(
      this.sql(`SELECT campaign_id, branch_id, id, rn, n FROM (
         SELECT t.campaign_id, t.branch_id, t.id,
                row_number() OVER (PARTITION BY t.campaign_id, t.branch_id ORDER BY t.id) AS rn,
                count(*) OVER (PARTITION BY t.campaign_id, t.branch_id) AS n
         FROM %s.${table} t ${LIVE('t')}
         WHERE NOT t.deleted) x
       WHERE rn % $1 = 0 OR rn = n
       ORDER BY campaign_id, branch_id, id`),
      [size],
    );
    const out: Batch[] = [];
    let previous: { campaignId: string; branchId: string; id: string } | undefined;
    for (const r of rows) {
      const sameScope = previous?.campaignId === r.campaign_id && previous.branchId === r.branch_id;
      const last = r.rn === r.n;
      out.push({
        campaignId: r.campaign_id,
        branchId: r.branch_id,
        afterId: sameScope ? previous!.id : null,
        toId: last ? null : r.id,
      });
      previous = { campaignId: r.campaign_id, branchId: r.branch_id, id: r.id };
    }
    return out;
  }

  /** Campaign-owned variables of one branch, by key: the per-campaign settings. */
  async campaignSettings(
    campaignId: string,
    branchId: string,
    keys: readonly string[],
  ): Promise<Map<string, StoredValue>> {
    const { rows } = await this.pool.query<{ key: string; value_type: string; value: unknown }>(
      this.sql(`SELECT key, value_type, value FROM %s.state_variable
       WHERE campaign_id = $1 AND branch_id = $2 AND owner_type = 'campaign' AND owner_id = $1 AND key = ANY($3) AND NOT deleted`),
      [campaignId, branchId, keys],
    );
    return new Map(rows.map((r) => [r.key, { type: r.value_type, value: r.value }]));
  }

  async settlements(b: Batch): Promise<SettlementRow[]> {
    const { rows } = await this.pool.query<{
      id: string;
      level: number;
      pop_t: string | null;
      pop: unknown;
      gr_t: string | null;
      gr: unknown;
    }>(
      this.sql(`SELECT s.id, s.level, p.value_type AS pop_t, p.value AS pop, g.value_type AS gr_t, g.value AS gr
       FROM %s.settlement s
       ${variable('p', 's', 'settlement', 'population')}
       ${variable('g', 's', 'settlement', 'growthRate')}
       WHERE s.campaign_id = $1 AND s.branch_id = $2 AND NOT s.deleted
         AND ($3::text IS NULL OR s.id > $3) AND ($4::text IS NULL OR s.id <= $4)
       ORDER BY s.id`),
      [b.campaignId, b.branchId, b.afterId, b.toId],
    );
    return rows.map((r) => ({
      id: r.id,
      level: r.level,
      population: stored(r.pop_t, r.pop),
      growthRate: stored(r.gr_t, r.gr),
    }));
  }

  async structures(b: Batch): Promise<StructureRow[]> {
    const { rows } = await this.pool.query<{
      id: string;
      condition: number;
      d_t: string | null;
      d: unknown;
      r_t: string | null;
      r: unknown;
    }>(
      this.sql(`SELECT s.id, s.condition, d.value_type AS d_t, d.value AS d, r.value_type AS r_t, r.value AS r
       FROM %s.structure s
       ${variable('d', 's', 'structure', 'decayRate')}
       ${variable('r', 's', 'structure', 'needsRepair')}
       WHERE s.campaign_id = $1 AND s.branch_id = $2 AND NOT s.deleted
         AND ($3::text IS NULL OR s.id > $3) AND ($4::text IS NULL OR s.id <= $4)
       ORDER BY s.id`),
      [b.campaignId, b.branchId, b.afterId, b.toId],
    );
    return rows.map((r) => ({
      id: r.id,
      condition: r.condition,
      decayRate: stored(r.d_t, r.d),
      needsRepair: stored(r.r_t, r.r),
    }));
  }

  async worldEvent(campaignId: string, branchId: string, id: string): Promise<WorldEventRow | null> {
    const { rows } = await this.pool.query(
      this.sql(`${WORLD_EVENT_SELECT} WHERE w.campaign_id = $1 AND w.branch_id = $2 AND w.id = $3 AND NOT w.deleted`),
      [campaignId, branchId, id],
    );
    return rows[0] ? worldEventRow(rows[0]) : null;
  }

  /**
   * World events of live branches that still have something to happen (activation or expiry), soonest first:
   * what the due-time timer waits for, and what a sweep finds overdue (`dueBy`).
   */
  async pendingWorldEvents(opts: { dueBy?: Date; limit: number }): Promise<WorldEventRow[]> {
    const due = `LEAST(CASE WHEN w.status = 'scheduled' THEN w.scheduled_at END, w.expires_at)`;
    const { rows } = await this.pool.query(
      this.sql(`${WORLD_EVENT_SELECT} ${LIVE('w')}
       WHERE NOT w.deleted AND w.status IN ('scheduled', 'active') AND ${due} IS NOT NULL
         AND ($1::timestamptz IS NULL OR ${due} <= $1)
       ORDER BY ${due}, w.campaign_id, w.branch_id, w.id LIMIT $2`),
      [opts.dueBy?.toISOString() ?? null, opts.limit],
    );
    return rows.map(worldEventRow);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

const WORLD_EVENT_SELECT = `SELECT w.campaign_id, w.branch_id, w.id, w.status,
  to_char(w.scheduled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS scheduled_at,
  to_char(w.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS expires_at, w.effects
  FROM %s.world_event w`;

function worldEventRow(r: Record<string, unknown>): WorldEventRow {
  return {
    campaignId: r.campaign_id as string,
    branchId: r.branch_id as string,
    id: r.id as string,
    status: r.status as string,
    scheduledAt: r.scheduled_at as string,
    expiresAt: (r.expires_at as string | null) ?? null,
    effects: (r.effects as unknown[]) ?? [],
  };
}

const stored = (type: string | null, value: unknown): StoredValue | null => (type === null ? null : { type, value });
