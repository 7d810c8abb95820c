import type { AnyEvent } from '@cm/contracts';
import type { EntityKeyColumns } from '../read-model/tables.js';
import { columnsOf, patch, tombstone, upsert, type WriteOp } from './write-ops.js';

/** Events of the map: kingdoms, locations, settlements and the structures in them. */
export type PlaceEvent = Extract<
  AnyEvent,
  {
    type:
      | 'KingdomCreated'
      | 'KingdomRenamed'
      | 'KingdomDeleted'
      | 'LocationCreated'
      | 'LocationRenamed'
      | 'LocationReshaped'
      | 'LocationDeleted'
      | 'SettlementCreated'
      | 'SettlementRenamed'
      | 'SettlementLevelSet'
      | 'SettlementMoved'
      | 'SettlementDeleted'
      | 'StructureCreated'
      | 'StructureRenamed'
      | 'StructureTypeSet'
      | 'StructureLevelSet'
      | 'StructureConditionSet'
      | 'StructureDeleted';
  }
>;

/** The row key of the entity an event is about. */
export function entityKey(event: AnyEvent): EntityKeyColumns {
  return { campaign_id: event.campaignId, branch_id: event.branchId, id: event.entityId };
}

export function projectPlace(event: PlaceEvent, seq: number): WriteOp[] {
  const key = entityKey(event);
  switch (event.type) {
    case 'KingdomCreated':
      return [upsert('kingdom', key, { ...columnsOf(event.data), deleted: false }, seq)];
    case 'KingdomRenamed':
      return [patch('kingdom', key, { name: event.data.name }, seq)];
    case 'KingdomDeleted':
      return [tombstone('kingdom', key, seq)];

    case 'LocationCreated':
      return [upsert('location', key, { ...columnsOf(event.data), deleted: false }, seq)];
    case 'LocationRenamed':
      return [patch('location', key, { name: event.data.name }, seq)];
    case 'LocationReshaped':
      return [patch('location', key, { geometry: event.data.geometry }, seq)];
    case 'LocationDeleted':
      return [tombstone('location', key, seq)];

    case 'SettlementCreated':
      return [upsert('settlement', key, { ...columnsOf(event.data), deleted: false }, seq)];
    case 'SettlementRenamed':
      return [patch('settlement', key, { name: event.data.name }, seq)];
    case 'SettlementLevelSet':
      return [patch('settlement', key, { level: event.data.level }, seq)];
    case 'SettlementMoved':
      return [patch('settlement', key, { location_id: event.data.locationId }, seq)];
    case 'SettlementDeleted':
      // Its structures are deleted by the cascade saga, each with an event of its own.
      return [tombstone('settlement', key, seq)];

    case 'StructureCreated':
      return [upsert('structure', key, { ...columnsOf(event.data), deleted: false }, seq)];
    case 'StructureRenamed':
      return [patch('structure', key, { name: event.data.name }, seq)];
    case 'StructureTypeSet':
      return [patch('structure', key, { structure_type: event.data.structureType }, seq)];
    case 'StructureLevelSet':
      return [patch('structure', key, { level: event.data.level }, seq)];
    case 'StructureConditionSet':
      return [patch('structure', key, { condition: event.data.condition }, seq)];
    case 'StructureDeleted':
      return [tombstone('structure', key, seq)];
    default:
      return unknown(event);
  }
}

function unknown(event: never): never {
  throw new Error(`no projection for event type ${(event as { type: string }).type}`);
}
