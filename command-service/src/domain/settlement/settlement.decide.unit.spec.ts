import { ErrorCode, type CommandPayload } from '@cm/contracts';
import { describe, expect, it } from 'vitest';
import type { AggregateStatus } from '../decider.js';
import { command, given } from '../given.test-util.js';
import { settlementDecider, type SettlementCommand } from './settlement.decide.js';

const settlement = <T extends SettlementCommand['type']>(type: T, payload: CommandPayload<T>) =>
  command(type, payload, { aggregateId: 's1' });
const created = {
  type: 'SettlementCreated',
  data: { kingdomId: 'k1', locationId: 'l1', name: 'Oakvale', level: 2 },
} as const;
const deleted = { type: 'SettlementDeleted', data: { kingdomId: 'k1' } } as const;
const refs = (kingdom: AggregateStatus, location: AggregateStatus) => ({
  'kingdom:k1': kingdom,
  'location:l1': location,
});
const create = settlement('settlement.create', { kingdomId: 'k1', locationId: 'l1', name: 'Oakvale', level: 2 });

describe('settlement.create', () => {
  it('creates the settlement in a live kingdom at a live location', () => {
    given(settlementDecider)
      .when(create, { refs: refs('active', 'active') })
      .then([created]);
  });
  it('refers to its kingdom and location', () => {
    expect(settlementDecider.refsOf(create)).toEqual([
      { entityType: 'kingdom', entityId: 'k1' },
      { entityType: 'location', entityId: 'l1' },
    ]);
  });
  it('rejects an existing settlement', () => {
    given(settlementDecider, [created])
      .when(create, { refs: refs('active', 'active') })
      .thenThrows(ErrorCode.ALREADY_EXISTS);
  });
  it('rejects a missing kingdom', () => {
    given(settlementDecider)
      .when(create, { refs: refs('absent', 'active') })
      .thenThrows(ErrorCode.NOT_FOUND, 'kingdom k1 not found');
  });
  it('rejects a deleted kingdom', () => {
    given(settlementDecider)
      .when(create, { refs: refs('deleted', 'active') })
      .thenThrows(ErrorCode.NOT_FOUND, 'kingdom k1');
  });
  it('rejects a missing location', () => {
    given(settlementDecider)
      .when(create, { refs: refs('active', 'absent') })
      .thenThrows(ErrorCode.NOT_FOUND, 'location l1 not found');
  });
  it('treats a reference the shell did not load as missing', () => {
    given(settlementDecider).when(create).thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('settlement.rename', () => {
  it('renames the settlement', () => {
    given(settlementDecider, [created])
      .when(settlement('settlement.rename', { name: 'Elmvale' }))
      .then([{ type: 'SettlementRenamed', data: { name: 'Elmvale' } }]);
  });
  it('changes nothing when the name is the same', () => {
    given(settlementDecider, [created])
      .when(settlement('settlement.rename', { name: 'Oakvale' }))
      .then([]);
  });
  it('rejects an absent settlement', () => {
    given(settlementDecider)
      .when(settlement('settlement.rename', { name: 'Elmvale' }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects a deleted settlement', () => {
    given(settlementDecider, [created, deleted])
      .when(settlement('settlement.rename', { name: 'Elmvale' }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('settlement.set-level', () => {
  it('sets the level', () => {
    given(settlementDecider, [created])
      .when(settlement('settlement.set-level', { level: 3 }))
      .then([{ type: 'SettlementLevelSet', data: { level: 3 } }]);
  });
  it('changes nothing when the level is the same', () => {
    given(settlementDecider, [created])
      .when(settlement('settlement.set-level', { level: 2 }))
      .then([]);
  });
  it('rejects an absent settlement', () => {
    given(settlementDecider)
      .when(settlement('settlement.set-level', { level: 3 }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects a deleted settlement', () => {
    given(settlementDecider, [created, deleted])
      .when(settlement('settlement.set-level', { level: 3 }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('settlement.move', () => {
  const move = settlement('settlement.move', { locationId: 'l2' });
  it('moves the settlement to a live location', () => {
    given(settlementDecider, [created])
      .when(move, { refs: { 'location:l2': 'active' } })
      .then([{ type: 'SettlementMoved', data: { locationId: 'l2' } }]);
  });
  it('refers to the new location', () => {
    expect(settlementDecider.refsOf(move)).toEqual([{ entityType: 'location', entityId: 'l2' }]);
  });
  it('changes nothing when the location is the same', () => {
    given(settlementDecider, [created])
      .when(settlement('settlement.move', { locationId: 'l1' }), { refs: { 'location:l1': 'active' } })
      .then([]);
  });
  it('rejects a missing location', () => {
    given(settlementDecider, [created])
      .when(move, { refs: { 'location:l2': 'deleted' } })
      .thenThrows(ErrorCode.NOT_FOUND, 'location l2 not found');
  });
  it('rejects an absent settlement', () => {
    given(settlementDecider)
      .when(move, { refs: { 'location:l2': 'active' } })
      .thenThrows(ErrorCode.NOT_FOUND, 'settlement s1');
  });
  it('rejects a deleted settlement', () => {
    given(settlementDecider, [created, deleted])
      .when(move, { refs: { 'location:l2': 'active' } })
      .thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('settlement.delete', () => {
  it('deletes the settlement, naming its kingdom', () => {
    given(settlementDecider, [created]).when(settlement('settlement.delete', {})).then([deleted]);
  });
  it('names the kingdom it was in, not the one it was created in', () => {
    expect(settlementDecider.refsOf(settlement('settlement.delete', {}))).toEqual([]);
  });
  it('rejects an absent settlement', () => {
    given(settlementDecider).when(settlement('settlement.delete', {})).thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects a deleted settlement', () => {
    given(settlementDecider, [created, deleted])
      .when(settlement('settlement.delete', {}))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
});
