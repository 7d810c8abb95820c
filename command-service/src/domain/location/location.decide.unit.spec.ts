import { ErrorCode, type CommandPayload, type Geometry } from '@cm/contracts';
import { describe, it } from 'vitest';
import { command, given } from '../given.test-util.js';
import { locationDecider, type LocationCommand } from './location.decide.js';

const location = <T extends LocationCommand['type']>(type: T, payload: CommandPayload<T>) =>
  command(type, payload, { aggregateId: 'l1' });
const point: Geometry = { type: 'Point', coordinates: [2.3522, 48.8566] };
const square: Geometry = {
  type: 'Polygon',
  coordinates: [
    [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 0],
    ],
  ],
};
const created = { type: 'LocationCreated', data: { name: 'Lutetia', geometry: point } } as const;
const deleted = { type: 'LocationDeleted', data: {} } as const;

describe('location.create', () => {
  it('creates the location', () => {
    given(locationDecider)
      .when(location('location.create', { name: 'Lutetia', geometry: point }))
      .then([created]);
  });
  it('rejects an existing location', () => {
    given(locationDecider, [created])
      .when(location('location.create', { name: 'Lutetia', geometry: point }))
      .thenThrows(ErrorCode.ALREADY_EXISTS);
  });
});

describe('location.rename', () => {
  it('renames the location', () => {
    given(locationDecider, [created])
      .when(location('location.rename', { name: 'Paris' }))
      .then([{ type: 'LocationRenamed', data: { name: 'Paris' } }]);
  });
  it('changes nothing when the name is the same', () => {
    given(locationDecider, [created])
      .when(location('location.rename', { name: 'Lutetia' }))
      .then([]);
  });
  it('rejects an absent location', () => {
    given(locationDecider)
      .when(location('location.rename', { name: 'Paris' }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects a deleted location', () => {
    given(locationDecider, [created, deleted])
      .when(location('location.rename', { name: 'Paris' }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('location.reshape', () => {
  it('reshapes the location', () => {
    given(locationDecider, [created])
      .when(location('location.reshape', { geometry: square }))
      .then([{ type: 'LocationReshaped', data: { geometry: square } }]);
  });
  it('changes nothing for an equal geometry, whatever its key order', () => {
    given(locationDecider, [created])
      .when(location('location.reshape', { geometry: { coordinates: [2.3522, 48.8566], type: 'Point' } }))
      .then([]);
  });
  it('rejects an absent location', () => {
    given(locationDecider)
      .when(location('location.reshape', { geometry: square }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects a deleted location', () => {
    given(locationDecider, [created, deleted])
      .when(location('location.reshape', { geometry: square }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('location.delete', () => {
  it('deletes the location', () => {
    given(locationDecider, [created]).when(location('location.delete', {})).then([deleted]);
  });
  it('rejects an absent location', () => {
    given(locationDecider).when(location('location.delete', {})).thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects a deleted location', () => {
    given(locationDecider, [created, deleted]).when(location('location.delete', {})).thenThrows(ErrorCode.NOT_FOUND);
  });
});
