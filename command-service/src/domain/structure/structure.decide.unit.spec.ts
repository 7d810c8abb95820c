import { ErrorCode, type CommandPayload } from '@cm/contracts';
import { describe, expect, it } from 'vitest';
import type { AggregateStatus } from '../decider.js';
import { command, given } from '../given.test-util.js';
import { structureDecider, type StructureCommand } from './structure.decide.js';

const structure = <T extends StructureCommand['type']>(type: T, payload: CommandPayload<T>) =>
  command(type, payload, { aggregateId: 'st1' });
const created = {
  type: 'StructureCreated',
  data: { settlementId: 's1', name: 'Granary', structureType: 'granary', level: 1, condition: 100 },
} as const;
const deleted = { type: 'StructureDeleted', data: { settlementId: 's1' } } as const;
const refs = (settlement: AggregateStatus) => ({ 'settlement:s1': settlement });
const create = structure('structure.create', {
  settlementId: 's1',
  name: 'Granary',
  structureType: 'granary',
  level: 1,
  condition: 100,
});

describe('structure.create', () => {
  it('creates the structure in a live settlement', () => {
    given(structureDecider)
      .when(create, { refs: refs('active') })
      .then([created]);
  });
  it('refers to its settlement', () => {
    expect(structureDecider.refsOf(create)).toEqual([{ entityType: 'settlement', entityId: 's1' }]);
  });
  it('rejects an existing structure', () => {
    given(structureDecider, [created])
      .when(create, { refs: refs('active') })
      .thenThrows(ErrorCode.ALREADY_EXISTS, 'structure st1 already exists');
  });
  it('rejects a deleted structure: ids are not reused', () => {
    given(structureDecider, [created, deleted])
      .when(create, { refs: refs('active') })
      .thenThrows(ErrorCode.ALREADY_EXISTS);
  });
  it('reports an existing structure before a missing settlement', () => {
    given(structureDecider, [created])
      .when(create, { refs: refs('absent') })
      .thenThrows(ErrorCode.ALREADY_EXISTS);
  });
  it('rejects a missing settlement', () => {
    given(structureDecider)
      .when(create, { refs: refs('absent') })
      .thenThrows(ErrorCode.NOT_FOUND, 'settlement s1 not found');
  });
  it('rejects a deleted settlement', () => {
    given(structureDecider)
      .when(create, { refs: refs('deleted') })
      .thenThrows(ErrorCode.NOT_FOUND, 'settlement s1 not found');
  });
  it('treats a reference the shell did not load as missing', () => {
    given(structureDecider).when(create).thenThrows(ErrorCode.NOT_FOUND, 'settlement s1');
  });
});

describe('structure.rename', () => {
  it('renames the structure', () => {
    given(structureDecider, [created])
      .when(structure('structure.rename', { name: 'Great Granary' }))
      .then([{ type: 'StructureRenamed', data: { name: 'Great Granary' } }]);
  });
  it('changes nothing when the name is the same', () => {
    given(structureDecider, [created])
      .when(structure('structure.rename', { name: 'Granary' }))
      .then([]);
  });
  it('compares with the latest name, not the one it was created with', () => {
    given(structureDecider, [created, { type: 'StructureRenamed', data: { name: 'Great Granary' } }])
      .when(structure('structure.rename', { name: 'Granary' }))
      .then([{ type: 'StructureRenamed', data: { name: 'Granary' } }]);
  });
  it('rejects an absent structure', () => {
    given(structureDecider)
      .when(structure('structure.rename', { name: 'Great Granary' }))
      .thenThrows(ErrorCode.NOT_FOUND, 'structure st1 not found');
  });
  it('rejects a deleted structure', () => {
    given(structureDecider, [created, deleted])
      .when(structure('structure.rename', { name: 'Great Granary' }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('structure.set-type', () => {
  it('sets the type', () => {
    given(structureDecider, [created])
      .when(structure('structure.set-type', { structureType: 'warehouse' }))
      .then([{ type: 'StructureTypeSet', data: { structureType: 'warehouse' } }]);
  });
  it('changes nothing when the type is the same', () => {
    given(structureDecider, [created])
      .when(structure('structure.set-type', { structureType: 'granary' }))
      .then([]);
  });
  it('changes nothing when the type is what it was last set to', () => {
    given(structureDecider, [created, { type: 'StructureTypeSet', data: { structureType: 'warehouse' } }])
      .when(structure('structure.set-type', { structureType: 'warehouse' }))
      .then([]);
  });
  it('rejects an absent structure', () => {
    given(structureDecider)
      .when(structure('structure.set-type', { structureType: 'warehouse' }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects a deleted structure', () => {
    given(structureDecider, [created, deleted])
      .when(structure('structure.set-type', { structureType: 'warehouse' }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('structure.set-level', () => {
  it('sets the level', () => {
    given(structureDecider, [created])
      .when(structure('structure.set-level', { level: 2 }))
      .then([{ type: 'StructureLevelSet', data: { level: 2 } }]);
  });
  it('sets level 0', () => {
    given(structureDecider, [created])
      .when(structure('structure.set-level', { level: 0 }))
      .then([{ type: 'StructureLevelSet', data: { level: 0 } }]);
  });
  it('changes nothing when the level is the same', () => {
    given(structureDecider, [created])
      .when(structure('structure.set-level', { level: 1 }))
      .then([]);
  });
  it('changes nothing when the level is what it was last set to', () => {
    given(structureDecider, [created, { type: 'StructureLevelSet', data: { level: 2 } }])
      .when(structure('structure.set-level', { level: 2 }))
      .then([]);
  });
  it('rejects an absent structure', () => {
    given(structureDecider)
      .when(structure('structure.set-level', { level: 2 }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects a deleted structure', () => {
    given(structureDecider, [created, deleted])
      .when(structure('structure.set-level', { level: 2 }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('structure.set-condition', () => {
  it('sets the condition', () => {
    given(structureDecider, [created])
      .when(structure('structure.set-condition', { condition: 60 }))
      .then([{ type: 'StructureConditionSet', data: { condition: 60 } }]);
  });
  it('ruins the structure at condition 0', () => {
    given(structureDecider, [created])
      .when(structure('structure.set-condition', { condition: 0 }))
      .then([{ type: 'StructureConditionSet', data: { condition: 0 } }]);
  });
  it('changes nothing when the condition is the same', () => {
    given(structureDecider, [created])
      .when(structure('structure.set-condition', { condition: 100 }))
      .then([]);
  });
  it('changes nothing when the condition is what it was last set to', () => {
    given(structureDecider, [created, { type: 'StructureConditionSet', data: { condition: 60 } }])
      .when(structure('structure.set-condition', { condition: 60 }))
      .then([]);
  });
  it('rejects an absent structure', () => {
    given(structureDecider)
      .when(structure('structure.set-condition', { condition: 60 }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects a deleted structure', () => {
    given(structureDecider, [created, deleted])
      .when(structure('structure.set-condition', { condition: 60 }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('structure.delete', () => {
  it('deletes the structure, naming its settlement', () => {
    given(structureDecider, [created]).when(structure('structure.delete', {})).then([deleted]);
  });
  it('rejects an absent structure', () => {
    given(structureDecider).when(structure('structure.delete', {})).thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects a deleted structure, so a repeated cascade changes nothing', () => {
    given(structureDecider, [created, deleted]).when(structure('structure.delete', {})).thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('structure refs', () => {
  it('checks no other aggregate except on create', () => {
    const commands: StructureCommand[] = [
      structure('structure.rename', { name: 'Great Granary' }),
      structure('structure.set-type', { structureType: 'warehouse' }),
      structure('structure.set-level', { level: 2 }),
      structure('structure.set-condition', { condition: 60 }),
      structure('structure.delete', {}),
    ];
    for (const cmd of commands) expect(structureDecider.refsOf(cmd), cmd.type).toEqual([]);
  });
});

describe('structure state', () => {
  it('folds every change', () => {
    const { state } = given(structureDecider, [
      created,
      { type: 'StructureRenamed', data: { name: 'Great Granary' } },
      { type: 'StructureTypeSet', data: { structureType: 'warehouse' } },
      { type: 'StructureLevelSet', data: { level: 3 } },
      { type: 'StructureConditionSet', data: { condition: 40 } },
    ]);
    expect(state).toEqual({
      status: 'active',
      settlementId: 's1',
      name: 'Great Granary',
      structureType: 'warehouse',
      level: 3,
      condition: 40,
    });
  });
  it('is absent, then active, then deleted', () => {
    const { statusOf } = structureDecider;
    expect(statusOf(given(structureDecider).state)).toBe('absent');
    expect(statusOf(given(structureDecider, [created]).state)).toBe('active');
    expect(statusOf(given(structureDecider, [created, deleted]).state)).toBe('deleted');
  });
});
