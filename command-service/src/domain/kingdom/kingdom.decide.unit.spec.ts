import { ErrorCode, type CommandPayload } from '@cm/contracts';
import { describe, expect, it } from 'vitest';
import { command, given } from '../given.test-util.js';
import { kingdomDecider, type KingdomCommand } from './kingdom.decide.js';

const kingdom = <T extends KingdomCommand['type']>(type: T, payload: CommandPayload<T>) =>
  command(type, payload, { aggregateId: 'k1' });
const created = { type: 'KingdomCreated', data: { name: 'Ardan' } } as const;
const deleted = { type: 'KingdomDeleted', data: {} } as const;

describe('kingdom.create', () => {
  it('creates the kingdom', () => {
    given(kingdomDecider)
      .when(kingdom('kingdom.create', { name: 'Ardan' }))
      .then([{ type: 'KingdomCreated', data: { name: 'Ardan' } }]);
  });
  it('rejects an existing kingdom', () => {
    given(kingdomDecider, [created])
      .when(kingdom('kingdom.create', { name: 'Ardan' }))
      .thenThrows(ErrorCode.ALREADY_EXISTS);
  });
  it('rejects a deleted kingdom: ids are not reused', () => {
    given(kingdomDecider, [created, deleted])
      .when(kingdom('kingdom.create', { name: 'Ardan' }))
      .thenThrows(ErrorCode.ALREADY_EXISTS);
  });
});

describe('kingdom.rename', () => {
  it('renames the kingdom', () => {
    given(kingdomDecider, [created])
      .when(kingdom('kingdom.rename', { name: 'Ardania' }))
      .then([{ type: 'KingdomRenamed', data: { name: 'Ardania' } }]);
  });
  it('changes nothing when the name is the same', () => {
    given(kingdomDecider, [created])
      .when(kingdom('kingdom.rename', { name: 'Ardan' }))
      .then([]);
  });
  it('rejects an absent kingdom', () => {
    given(kingdomDecider)
      .when(kingdom('kingdom.rename', { name: 'Ardania' }))
      .thenThrows(ErrorCode.NOT_FOUND, 'kingdom k1 not found');
  });
  it('rejects a deleted kingdom', () => {
    given(kingdomDecider, [created, deleted])
      .when(kingdom('kingdom.rename', { name: 'Ardania' }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('kingdom.delete', () => {
  it('deletes the kingdom', () => {
    given(kingdomDecider, [created]).when(kingdom('kingdom.delete', {})).then([deleted]);
  });
  it('rejects an absent kingdom', () => {
    given(kingdomDecider).when(kingdom('kingdom.delete', {})).thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects a deleted kingdom', () => {
    given(kingdomDecider, [created, deleted]).when(kingdom('kingdom.delete', {})).thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('kingdom status', () => {
  it('is absent, then active, then deleted', () => {
    const { statusOf } = kingdomDecider;
    expect(statusOf(given(kingdomDecider).state)).toBe('absent');
    expect(statusOf(given(kingdomDecider, [created]).state)).toBe('active');
    expect(statusOf(given(kingdomDecider, [created, deleted]).state)).toBe('deleted');
  });
});
