import type { AnyEvent, OwnerType } from '@cm/contracts';

/** What an entity event does to the entity's facts: create it, patch some fields, or delete it. */
export type EntityEffect =
  | { kind: 'create'; type: OwnerType; id: string; fields: Record<string, unknown> }
  | { kind: 'patch'; type: OwnerType; id: string; fields: Record<string, unknown> }
  | { kind: 'delete'; type: OwnerType; id: string };

/**
 * The fact effect of each event on an entity that can carry computed fields, or null for events that change
 * nothing an expression reads (members, geometry) or that are not about such an entity.
 */
export function entityEffectOf(e: AnyEvent): EntityEffect | null {
  const id = e.entityId;
  switch (e.type) {
    case 'CampaignCreated':
      return {
        kind: 'create',
        type: 'campaign',
        id,
        fields: { id, name: e.data.name, description: e.data.description, ownerId: e.data.ownerId, archived: false },
      };
    case 'CampaignRenamed':
      return { kind: 'patch', type: 'campaign', id, fields: { name: e.data.name } };
    case 'CampaignArchived':
      return { kind: 'patch', type: 'campaign', id, fields: { archived: true } };
    case 'KingdomCreated':
      return { kind: 'create', type: 'kingdom', id, fields: { id, name: e.data.name } };
    case 'KingdomRenamed':
      return { kind: 'patch', type: 'kingdom', id, fields: { name: e.data.name } };
    case 'KingdomDeleted':
      return { kind: 'delete', type: 'kingdom', id };
    case 'LocationCreated':
      return { kind: 'create', type: 'location', id, fields: { id, name: e.data.name } };
    case 'LocationRenamed':
      return { kind: 'patch', type: 'location', id, fields: { name: e.data.name } };
    case 'LocationDeleted':
      return { kind: 'delete', type: 'location', id };
    case 'SettlementCreated':
      return {
        kind: 'create',
        type: 'settlement',
        id,
        fields: {
          id,
          name: e.data.name,
          level: e.data.level,
          kingdomId: e.data.kingdomId,
          locationId: e.data.locationId,
        },
      };
    case 'SettlementRenamed':
      return { kind: 'patch', type: 'settlement', id, fields: { name: e.data.name } };
    case 'SettlementLevelSet':
      return { kind: 'patch', type: 'settlement', id, fields: { level: e.data.level } };
    case 'SettlementMoved':
      return { kind: 'patch', type: 'settlement', id, fields: { locationId: e.data.locationId } };
    case 'SettlementDeleted':
      return { kind: 'delete', type: 'settlement', id };
    case 'StructureCreated':
      return {
        kind: 'create',
        type: 'structure',
        id,
        fields: {
          id,
          name: e.data.name,
          structureType: e.data.structureType,
          level: e.data.level,
          condition: e.data.condition,
          settlementId: e.data.settlementId,
        },
      };
    case 'StructureRenamed':
      return { kind: 'patch', type: 'structure', id, fields: { name: e.data.name } };
    case 'StructureTypeSet':
      return { kind: 'patch', type: 'structure', id, fields: { structureType: e.data.structureType } };
    case 'StructureLevelSet':
      return { kind: 'patch', type: 'structure', id, fields: { level: e.data.level } };
    case 'StructureConditionSet':
      return { kind: 'patch', type: 'structure', id, fields: { condition: e.data.condition } };
    case 'StructureDeleted':
      return { kind: 'delete', type: 'structure', id };
    case 'WorldEventScheduled':
      return {
        kind: 'create',
        type: 'world-event',
        id,
        fields: {
          id,
          name: e.data.name,
          description: e.data.description,
          status: 'scheduled',
          scheduledAt: e.data.scheduledAt,
          expiresAt: e.data.expiresAt,
          outcome: null,
        },
      };
    case 'WorldEventActivated':
      return { kind: 'patch', type: 'world-event', id, fields: { status: 'active' } };
    case 'WorldEventExpired':
      return { kind: 'patch', type: 'world-event', id, fields: { status: 'expired' } };
    case 'WorldEventResolved':
      return { kind: 'patch', type: 'world-event', id, fields: { status: 'resolved', outcome: e.data.outcome } };
    default:
      return null;
  }
}
