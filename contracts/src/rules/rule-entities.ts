import type { OwnerType } from '../domain.js';

/**
 * What a computed-field expression can see of each entity type: its own fields (read-model columns, camelCase),
 * the collections of its children it may aggregate, and the type of its parent (`parent.<field>`). One table, read
 * by the definition-time validator, the rules service's fact store and the query service's computed-field loader.
 */
export interface RuleEntityShape {
  fields: readonly string[];
  /** Child collection name → the child entity type. */
  children: Readonly<Record<string, OwnerType>>;
  parent: OwnerType | null;
}

export const RULE_ENTITIES: Readonly<Record<OwnerType, RuleEntityShape>> = {
  campaign: {
    fields: ['id', 'name', 'description', 'ownerId', 'archived'],
    children: { kingdoms: 'kingdom', locations: 'location', worldEvents: 'world-event' },
    parent: null,
  },
  kingdom: { fields: ['id', 'name'], children: { settlements: 'settlement' }, parent: 'campaign' },
  location: { fields: ['id', 'name'], children: { settlements: 'settlement' }, parent: 'campaign' },
  settlement: {
    fields: ['id', 'name', 'level', 'kingdomId', 'locationId'],
    children: { structures: 'structure' },
    parent: 'kingdom',
  },
  structure: {
    fields: ['id', 'name', 'structureType', 'level', 'condition', 'settlementId'],
    children: {},
    parent: 'settlement',
  },
  'world-event': {
    fields: ['id', 'name', 'description', 'status', 'scheduledAt', 'expiresAt', 'outcome'],
    children: {},
    parent: 'campaign',
  },
};

/** The field of a child that names its parent (`parent.` in expressions), by child type. */
export const PARENT_ID_FIELD: Readonly<Partial<Record<OwnerType, string>>> = {
  settlement: 'kingdomId',
  structure: 'settlementId',
};
