import { describe, expect, it } from 'vitest';
import { event } from '../projector/events.test-util.js';
import { factNeeded, invalidationOf } from './invalidation.js';

const at = (entityId: string, branchId = 'main') => ({ campaignId: 'c1', branchId, entityId });
const k = (key: string) => `campaign:c1:${key}`;
const mark = (branch = 'main') => [k(`computed-fields-mark:${branch}`)];

describe('invalidationOf', () => {
  it('settlement change: its computed fields, its kingdom and location, its structures, its kingdom list, the spatial results of its branch', () => {
    const renamed = event('SettlementRenamed', { name: 'x' }, at('s1'));
    expect(factNeeded(renamed)).toEqual({ kind: 'settlement-kingdom', settlementId: 's1' });
    expect(invalidationOf(renamed, { parent: 'k1', location: 'l1', children: ['st1', 'st2'] })).toEqual({
      keys: [
        k('computed-fields:settlement:s1:main'),
        k('settlements:kingdom:k1:main'),
        k('computed-fields:kingdom:k1:main'),
        k('computed-fields:location:l1:main'),
        k('computed-fields:structure:st1:main'),
        k('computed-fields:structure:st2:main'),
      ],
      patterns: [k('spatial:*:main')],
      marks: mark(),
    });
    // The settlement unknown to the read model: every settlement list, kingdom, location and structure of the branch.
    expect(invalidationOf(renamed, null).patterns).toEqual([
      k('settlements:kingdom:*:main'),
      k('computed-fields:kingdom:*:main'),
      k('computed-fields:location:*:main'),
      k('computed-fields:structure:*:main'),
      k('spatial:*:main'),
    ]);
    // A move: the location it left is not known any more.
    expect(
      invalidationOf(event('SettlementMoved', { locationId: 'l2' }, at('s1')), {
        parent: 'k1',
        location: 'l2',
        children: [],
      }).patterns,
    ).toEqual([k('computed-fields:location:*:main'), k('spatial:*:main')]);
    const created = event(
      'SettlementCreated',
      { kingdomId: 'k2', locationId: 'l1', name: 'n', level: 1 },
      at('s2', 'b1'),
    );
    expect(factNeeded(created)).toBeUndefined();
    expect(invalidationOf(created)).toEqual({
      keys: [
        k('computed-fields:settlement:s2:b1'),
        k('settlements:kingdom:k2:b1'),
        k('computed-fields:kingdom:k2:b1'),
        k('computed-fields:location:l1:b1'),
      ],
      patterns: [k('spatial:*:b1')],
      marks: mark('b1'),
    });
    expect(
      invalidationOf(event('SettlementDeleted', { kingdomId: 'k2' }, at('s2')), { location: 'l1', children: [] }).keys,
    ).toContain(k('structures:settlement:s2:main'));
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
      marks: mark(),
    });
    expect(invalidationOf(event('StructureDeleted', { settlementId: 's3' }, at('st1'))).keys).toEqual([
      k('computed-fields:structure:st1:main'),
      k('computed-fields:settlement:s3:main'),
      k('structures:settlement:s3:main'),
    ]);
  });

  it('state-variable change: its entity, the parents that aggregate it, the children that read it', () => {
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
    expect(invalidationOf(onSettlement, { parent: 'k1', location: 'l1', children: ['st1'] }).keys).toEqual([
      k('computed-fields:settlement:s1:main'),
      k('computed-fields:kingdom:k1:main'),
      k('computed-fields:location:l1:main'),
      k('computed-fields:structure:st1:main'),
    ]);
    const onKingdom = event(
      'StateVariableSet',
      { ownerType: 'kingdom', ownerId: 'k1', key: 'gold', value: { type: 'number', value: 1 } },
      at('v1'),
    );
    expect(factNeeded(onKingdom)).toEqual({ kind: 'kingdom-settlements', kingdomId: 'k1' });
    expect(invalidationOf(onKingdom, { children: ['s1', 's2'] }).keys).toEqual([
      k('computed-fields:kingdom:k1:main'),
      k('computed-fields:campaign:c1:main'),
      k('computed-fields:settlement:s1:main'),
      k('computed-fields:settlement:s2:main'),
    ]);
    const onCampaign = event('StateVariableUnset', { ownerType: 'campaign', ownerId: 'c1', key: 'gold' }, at('v1'));
    expect(invalidationOf(onCampaign)).toEqual({
      keys: [k('computed-fields:campaign:c1:main')],
      patterns: [
        k('computed-fields:kingdom:*:main'),
        k('computed-fields:location:*:main'),
        k('computed-fields:world-event:*:main'),
      ],
      marks: mark(),
    });
  });

  it('kingdom, location and world-event changes: theirs and the campaign aggregate; a kingdom also its settlements', () => {
    expect(invalidationOf(event('KingdomRenamed', { name: 'n' }, at('k1')), { children: ['s1'] }).keys).toEqual([
      k('computed-fields:kingdom:k1:main'),
      k('computed-fields:campaign:c1:main'),
      k('computed-fields:settlement:s1:main'),
    ]);
    expect(invalidationOf(event('LocationRenamed', { name: 'n' }, at('l1')))).toEqual({
      keys: [k('computed-fields:location:l1:main'), k('computed-fields:campaign:c1:main')],
      patterns: [k('spatial:*:main')],
      marks: mark(),
    });
    expect(invalidationOf(event('WorldEventActivated', {}, at('w1'))).keys).toEqual([
      k('computed-fields:world-event:w1:main'),
      k('computed-fields:campaign:c1:main'),
    ]);
  });

  it('location reshaped: the spatial results of its branch', () => {
    const geometry = { type: 'Point' as const, coordinates: [1, 2] as [number, number] };
    expect(invalidationOf(event('LocationReshaped', { geometry }, at('l1', 'b1')))).toEqual({
      keys: [],
      patterns: [k('spatial:*:b1')],
      marks: [],
    });
  });

  it('field-condition change: every computed field of its entity type in the campaign branch', () => {
    const defined = event(
      'FieldConditionDefined',
      { entityType: 'settlement', entityId: null, field: 'f', expression: { var: 'a' }, priority: 0, active: true },
      at('fc1'),
    );
    expect(invalidationOf(defined)).toEqual({
      keys: [],
      patterns: [k('computed-fields:settlement:*:main')],
      marks: mark(),
    });
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

  it('branch deletion: everything of that branch in its campaign, its mark included', () => {
    expect(invalidationOf(event('BranchDeleted', {}, at('b1')))).toEqual({
      keys: [],
      patterns: [k('*:b1')],
      marks: [],
    });
  });

  it('events that change no cached answer invalidate nothing', () => {
    expect(invalidationOf(event('MemberAdded', { userId: 'u', role: 'gm' }, at('c1')))).toEqual({
      keys: [],
      patterns: [],
      marks: [],
    });
  });
});
