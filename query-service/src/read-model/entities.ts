import { defineEntity, p } from '@mikro-orm/postgresql';

/*
 * The read model's tables as MikroORM metadata (docs/read-model.md). The schema itself is created by the
 * migrations in ./migrations; these definitions describe the same tables so that MikroORM's tooling
 * (`schema:update --dump`, the migration generator) sees no difference. Reads and the projector use set-based
 * SQL through the same connection (see sql.ts).
 */

const lastSeq = () => p.bigint('number');
const updatedAt = () => p.datetime().columnType('timestamptz').defaultRaw('now()');
const branchScoped = () => ({
  campaignId: p.string().columnType('text').primary(),
  branchId: p.string().columnType('text').primary(),
});
const text = () => p.string().columnType('text');
/** `deleted` and `archived` start false. */
const flag = () => p.boolean().default(false);

export const CampaignEntity = defineEntity({
  name: 'Campaign',
  tableName: 'campaign',
  properties: {
    id: text().primary(),
    name: text(),
    description: text().nullable(),
    ownerId: text(),
    archived: flag(),
    deleted: flag(),
    lastSeq: lastSeq(),
    updatedAt: updatedAt(),
  },
});

export const CampaignMemberEntity = defineEntity({
  name: 'CampaignMember',
  tableName: 'campaign_member',
  properties: {
    campaignId: text().primary(),
    userId: text().primary(),
    role: text(),
    deleted: flag(),
    lastSeq: lastSeq(),
    updatedAt: updatedAt(),
  },
  indexes: [{ properties: ['userId'] }],
});

export const BranchEntity = defineEntity({
  name: 'Branch',
  tableName: 'branch',
  properties: {
    campaignId: text().primary(),
    id: text().primary(),
    name: text(),
    parentBranchId: text().nullable(),
    forkedAtSeq: p.bigint('number').nullable(),
    deleted: flag(),
    lastSeq: lastSeq(),
    updatedAt: updatedAt(),
  },
});

export const KingdomEntity = defineEntity({
  name: 'Kingdom',
  tableName: 'kingdom',
  properties: { ...branchScoped(), id: text().primary(), name: text(), deleted: flag(), lastSeq: lastSeq(), updatedAt: updatedAt() },
  // No (campaign_id, branch_id) index: the primary key serves it (Migration20261123000000_drop_prefix_indexes).
});

export const LocationEntity = defineEntity({
  name: 'Location',
  tableName: 'location',
  properties: {
    ...branchScoped(),
    id: text().primary(),
    name: text(),
    geometry: p.string().columnType('geometry(Geometry,4326)'),
    deleted: flag(),
    lastSeq: lastSeq(),
    updatedAt: updatedAt(),
  },
  indexes: [{ properties: ['geometry'], type: 'gist' }],
});

export const SettlementEntity = defineEntity({
  name: 'Settlement',
  tableName: 'settlement',
  properties: {
    ...branchScoped(),
    id: text().primary(),
    kingdomId: text(),
    locationId: text(),
    name: text(),
    level: p.integer(),
    deleted: flag(),
    lastSeq: lastSeq(),
    updatedAt: updatedAt(),
  },
  indexes: [
    { name: 'settlement_kingdom_index', properties: ['campaignId', 'branchId', 'kingdomId'] },
    { name: 'settlement_location_index', properties: ['campaignId', 'branchId', 'locationId'] },
  ],
});

export const StructureEntity = defineEntity({
  name: 'Structure',
  tableName: 'structure',
  properties: {
    ...branchScoped(),
    id: text().primary(),
    settlementId: text(),
    name: text(),
    structureType: text(),
    level: p.integer(),
    condition: p.integer(),
    deleted: flag(),
    lastSeq: lastSeq(),
    updatedAt: updatedAt(),
  },
  indexes: [{ name: 'structure_settlement_index', properties: ['campaignId', 'branchId', 'settlementId'] }],
});

export const StateVariableEntity = defineEntity({
  name: 'StateVariable',
  tableName: 'state_variable',
  properties: {
    ...branchScoped(),
    ownerType: text().primary(),
    ownerId: text().primary(),
    key: text().primary(),
    valueType: text(),
    value: p.json<unknown>(),
    deleted: flag(),
    lastSeq: lastSeq(),
    updatedAt: updatedAt(),
  },
});

export const FieldConditionEntity = defineEntity({
  name: 'FieldCondition',
  tableName: 'field_condition',
  properties: {
    ...branchScoped(),
    id: text().primary(),
    entityType: text(),
    entityId: text().nullable(),
    field: text(),
    expression: p.json<unknown>(),
    priority: p.integer(),
    active: p.boolean(),
    deleted: flag(),
    lastSeq: lastSeq(),
    updatedAt: updatedAt(),
  },
  indexes: [{ name: 'field_condition_entity_index', properties: ['campaignId', 'branchId', 'entityType', 'entityId'] }],
});

export const WorldEventEntity = defineEntity({
  name: 'WorldEvent',
  tableName: 'world_event',
  properties: {
    ...branchScoped(),
    id: text().primary(),
    name: text(),
    description: text().nullable(),
    status: text(),
    scheduledAt: p.datetime().columnType('timestamptz'),
    expiresAt: p.datetime().columnType('timestamptz').nullable(),
    effects: p.json<unknown>(),
    outcome: text().nullable(),
    deleted: flag(),
    lastSeq: lastSeq(),
    updatedAt: updatedAt(),
  },
  indexes: [{ name: 'world_event_status_index', properties: ['campaignId', 'branchId', 'status'] }],
});

export const ProjectionCheckpointEntity = defineEntity({
  name: 'ProjectionCheckpoint',
  tableName: 'projection_checkpoint',
  properties: { name: text().primary(), seq: p.bigint('number'), updatedAt: updatedAt() },
});

/** Every entity of the read model, for `MikroORM.init`. */
export const READ_MODEL_ENTITIES = [
  CampaignEntity,
  CampaignMemberEntity,
  BranchEntity,
  KingdomEntity,
  LocationEntity,
  SettlementEntity,
  StructureEntity,
  StateVariableEntity,
  FieldConditionEntity,
  WorldEventEntity,
  ProjectionCheckpointEntity,
];
