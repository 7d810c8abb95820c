import type { Geometry, OwnerType, Role, VariableValue, WorldEventEffect } from '@cm/contracts';
import type {
  BranchRow,
  CampaignRow,
  FieldConditionRow,
  KingdomRow,
  LocationRow,
  MemberRow,
  SettlementRow,
  StateVariableRow,
  StructureRow,
  WorldEventRow,
} from './read-model.port.js';

/** A row as the driver returns it: `bigint` arrives as a string, `json`/`jsonb` already parsed. */
export type DbRow = Record<string, unknown>;

const str = (v: unknown) => v as string;
const strOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));
/** Sequences are `bigint` in SQL; they stay far below 2^53, so a JS number holds them exactly. */
const num = (v: unknown) => Number(v);
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** Timestamps as ISO-8601 UTC with milliseconds, formatted by Postgres (MikroORM keeps timestamps as raw text). */
export const isoTimestamp = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Select lists per table, aliased `t`; each mapper below reads exactly these columns. */
export const SELECT = {
  campaign: 't.id, t.name, t.description, t.owner_id, t.archived, t.last_seq',
  member: 't.campaign_id, t.user_id, t.role, t.last_seq',
  branch: 't.campaign_id, t.id, t.name, t.parent_branch_id, t.forked_at_seq, t.last_seq',
  kingdom: 't.campaign_id, t.branch_id, t.id, t.name, t.last_seq',
  location: 't.campaign_id, t.branch_id, t.id, t.name, ST_AsGeoJSON(t.geometry)::json AS geometry, t.last_seq',
  settlement: 't.campaign_id, t.branch_id, t.id, t.kingdom_id, t.location_id, t.name, t.level, t.last_seq',
  structure: 't.campaign_id, t.branch_id, t.id, t.settlement_id, t.name, t.structure_type, t.level, t.condition, t.last_seq',
  stateVariable: 't.campaign_id, t.branch_id, t.owner_type, t.owner_id, t.key, t.value_type, t.value, t.last_seq',
  fieldCondition: 't.campaign_id, t.branch_id, t.id, t.entity_type, t.entity_id, t.field, t.expression, t.priority, t.active, t.last_seq',
  worldEvent:
    't.campaign_id, t.branch_id, t.id, t.name, t.description, t.status, ' +
    `${isoTimestamp('t.scheduled_at')} AS scheduled_at, ${isoTimestamp('t.expires_at')} AS expires_at, t.effects, t.outcome, t.last_seq`,
} as const;

const scoped = (r: DbRow) => ({ campaignId: str(r.campaign_id), branchId: str(r.branch_id) });
const entity = (r: DbRow) => ({ ...scoped(r), id: str(r.id) });

export const toCampaign = (r: DbRow): CampaignRow => ({
  id: str(r.id),
  name: str(r.name),
  description: strOrNull(r.description),
  ownerId: str(r.owner_id),
  archived: Boolean(r.archived),
  seq: num(r.last_seq),
});

export const toMember = (r: DbRow): MemberRow => ({ campaignId: str(r.campaign_id), userId: str(r.user_id), role: r.role as Role, seq: num(r.last_seq) });

export const toBranch = (r: DbRow): BranchRow => ({
  campaignId: str(r.campaign_id),
  id: str(r.id),
  name: str(r.name),
  parentBranchId: strOrNull(r.parent_branch_id),
  forkedAtSeq: numOrNull(r.forked_at_seq),
  seq: num(r.last_seq),
});

export const toKingdom = (r: DbRow): KingdomRow => ({ ...entity(r), name: str(r.name), seq: num(r.last_seq) });

export const toLocation = (r: DbRow): LocationRow => ({ ...entity(r), name: str(r.name), geometry: r.geometry as Geometry, seq: num(r.last_seq) });

export const toSettlement = (r: DbRow): SettlementRow => ({
  ...entity(r),
  kingdomId: str(r.kingdom_id),
  locationId: str(r.location_id),
  name: str(r.name),
  level: num(r.level),
  seq: num(r.last_seq),
});

export const toStructure = (r: DbRow): StructureRow => ({
  ...entity(r),
  settlementId: str(r.settlement_id),
  name: str(r.name),
  structureType: str(r.structure_type),
  level: num(r.level),
  condition: num(r.condition),
  seq: num(r.last_seq),
});

export const toStateVariable = (r: DbRow): StateVariableRow => ({
  ...scoped(r),
  ownerType: r.owner_type as OwnerType,
  ownerId: str(r.owner_id),
  key: str(r.key),
  value: { type: r.value_type, value: r.value } as VariableValue,
  seq: num(r.last_seq),
});

export const toFieldCondition = (r: DbRow): FieldConditionRow => ({
  ...entity(r),
  entityType: r.entity_type as OwnerType,
  entityId: strOrNull(r.entity_id),
  field: str(r.field),
  expression: r.expression,
  priority: num(r.priority),
  active: Boolean(r.active),
  seq: num(r.last_seq),
});

export const toWorldEvent = (r: DbRow): WorldEventRow => ({
  ...entity(r),
  name: str(r.name),
  description: strOrNull(r.description),
  status: r.status as WorldEventRow['status'],
  scheduledAt: str(r.scheduled_at),
  expiresAt: strOrNull(r.expires_at),
  effects: r.effects as WorldEventEffect[],
  outcome: strOrNull(r.outcome),
  seq: num(r.last_seq),
});
