import { describe, expect, it } from 'vitest';
import { rowChange } from './entity-replay.js';

const key = { campaign_id: 'c', branch_id: 'main', id: 'town' };

describe('rowChange', () => {
  it('names what the fold does to a stored row, field by field, ignoring updated_at', () => {
    const before = { ...key, name: 'CORRUPT', level: 2, deleted: false, last_seq: 7, updated_at: 'then' };
    const after = { ...key, name: 'Ashford', level: 2, deleted: false, last_seq: 7, updated_at: 'now' };
    expect(rowChange('settlement', key, 7, before, after)).toEqual({
      table: 'settlement',
      key,
      seq: 7,
      storedSeq: 7,
      change: 'updated',
      fields: [{ field: 'name', before: 'CORRUPT', after: 'Ashford' }],
    });
    expect(rowChange('settlement', key, 7, after, after).change).toBe('unchanged');
    expect(rowChange('settlement', key, 7, undefined, after).change).toBe('inserted');
    expect(rowChange('settlement', key, 9, after, { ...after, deleted: true, last_seq: 9 }).change).toBe('deleted');
  });

  it('leaves a row a later event wrote, and a patch of a missing row, alone', () => {
    const stored = { ...key, name: 'Newer', last_seq: 12 };
    expect(rowChange('settlement', key, 7, stored, stored)).toMatchObject({
      change: 'newer',
      storedSeq: 12,
      fields: [],
    });
    expect(rowChange('settlement', key, 7, undefined, undefined)).toMatchObject({ change: 'missing', storedSeq: null });
  });
});
