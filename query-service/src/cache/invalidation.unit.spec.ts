import { describe, expect, it } from 'vitest';
import { event } from '../projector/events.test-util.js';
import { factNeeded, invalidationOf } from './invalidation.js';

const at = (entityId: string, branchId = 'main') => ({ campaignId: 'c1', branchId, entityId });
const k = (key: string) => `campaign:c1:${key}`;

describe('invalidationOf', () => {
  it('settlement change: its computed fields, its kingdom list, the spatial results of its branch', () => {
    const renamed = event('SettlementRenamed', { name: 'x' }, at('s1'));
    expect(factNeeded(renamed)).toEqual({ kind: 'settlement-kingdom', settlementId: 's1' });
    expect(invalidationOf(renamed, 'k1')).toEqual({
      keys: [k('computed-fields:settlement:s1:main'), k('settlements:kingdom:k1:main')],
      patterns: [k('spatial:*:main')],
    });
    // The kingdom unknown to the read model: every settlement list of the branch instead.
    expect(invalidationOf(renamed, null).patterns).toEqual([k('settlements:kingdom:*:main'), k('spatial:*:main')]);
    const created = event(
      'SettlementCreated',
      { kingdomId: 'k2', locationId: 'l1', name: 'n', level: 1 },
      at('s2', 'b1'),
    );
    expect(factNeeded(created)).toBeUndefined();
    expect(invalidationOf(created)).toEqual({
      keys: [k('computed-fields:settlement:s2:b1'), k('settlements:kingdom:k2:b1')],
      patterns: [k('spatial:*:b1')],
    });
    expect(invalidationOf(event('SettlementDeleted', { kingdomId: 'k2' }, at('s2'))).keys).toContain(
      k('structures:settlement:s2:main'),
    );
  });

  it('structure change: its computed fields, its settlement computed fields and structure list', () => {
    const levelled = event('StructureLevelSet', { level: 2 }, at('st1'));
    expect(factNeeded(levelled)).toEqual({ kind: 'structure-settlement', structureId: 'st1' });
    expect(invalidationOf(levelled, 's1')).toEqual({
      keys: [
        k('computed-fields:structure:st1:main'),
        k('computed-fields:settlement:s1:main'),
        k('structures:settlement:s1:main'),
      ],
      patterns: [],
    });
    expect(invalidationOf(event('StructureDeleted', { settlementId: 's3' }, at('st1'))).keys).toEqual([
      k('computed-fields:structure:st1:main'),
      k('computed-fields:settlement:s3:main'),
      k('structures:settlement:s3:main'),
    ]);
  });

  it('state-variable change: its entity and its parent', () => {
    const onStructure = event(
      'StateVariableSet',
      { ownerType: 'structure', ownerId: 'st1', key: 'gold', value: { type: 'number', value: 1 } },
      at('v1'),
    );
    expect(factNeeded(onStructure)).toEqual({ kind: 'structure-settlement', structureId: 'st1' });
    expect(invalidationOf(onStructure, 's1').keys).toEqual([
      k('computed-fields:structure:st1:main'),
      k('computed-fields:settlement:s1:main'),
    ]);
    const onSettlement = event('StateVariableUnset', { ownerType: 'settlement', ownerId: 's1', key: 'gold' }, at('v1'));
    expect(invalidationOf(onSettlement, 'k1').keys).toEqual([
      k('computed-fields:settlement:s1:main'),
      k('computed-fields:kingdom:k1:main'),
    ]);
    const onKingdom = event(
      'StateVariableSet',
      { ownerType: 'kingdom', ownerId: 'k1', key: 'gold', value: { type: 'number', value: 1 } },
      at('v1'),
    );
    expect(factNeeded(onKingdom)).toBeUndefined();
    expect(invalidationOf(onKingdom).keys).toEqual([
      k('computed-fields:kingdom:k1:main'),
      k('computed-fields:campaign:c1:main'),
    ]);
  });

  it('location change: the spatial results of its branch', () => {
    const geometry = { type: 'Point' as const, coordinates: [1, 2] as [number, number] };
    expect(invalidationOf(event('LocationReshaped', { geometry }, at('l1', 'b1')))).toEqual({
      keys: [],
      patterns: [k('spatial:*:b1')],
    });
  });

  it('field-condition change: every computed field of its entity type in the campaign branch', () => {
    const defined = event(
      'FieldConditionDefined',
      { entityType: 'settlement', entityId: null, field: 'f', expression: { var: 'a' }, priority: 0, active: true },
      at('fc1'),
    );
    expect(invalidationOf(defined)).toEqual({ keys: [], patterns: [k('computed-fields:settlement:*:main')] });
    const updated = event(
      'FieldConditionUpdated',
      { field: 'f', expression: { var: 'a' }, priority: 0, active: true },
      at('fc1'),
    );
    expect(factNeeded(updated)).toEqual({ kind: 'condition-entity-type', conditionId: 'fc1' });
    expect(invalidationOf(updated, 'structure').patterns).toEqual([k('computed-fields:structure:*:main')]);
    expect(invalidationOf(event('FieldConditionDeleted', {}, at('fc1')), null).patterns).toEqual([
      k('computed-fields:*:*:main'),
    ]);
  });

  it('branch deletion: everything of that branch in its campaign', () => {
    expect(invalidationOf(event('BranchDeleted', {}, at('b1')))).toEqual({ keys: [], patterns: [k('*:b1')] });
  });

  it('events that change no cached answer invalidate nothing', () => {
    expect(invalidationOf(event('MemberAdded', { userId: 'u', role: 'gm' }, at('c1')))).toEqual({
      keys: [],
      patterns: [],
    });
  });
});
