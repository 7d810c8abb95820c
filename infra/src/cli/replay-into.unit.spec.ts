import { describe, expect, it } from 'vitest';
import { UsageError } from './command.js';
import { formatReport, projectionOption } from './replay-into.js';

describe('projectionOption', () => {
  it('takes a projection a replay can write into', () => {
    expect(projectionOption('postgres')).toBe('postgres');
    expect(projectionOption('redis')).toBe('redis');
    expect(projectionOption(undefined)).toBeUndefined();
  });

  it('refuses an unknown projection with its code', () => {
    expect(() => projectionOption('elastic')).toThrow(UsageError);
    expect(() => projectionOption('elastic')).toThrow(/^VALIDATION: --into "elastic" is no projection/);
  });
});

describe('formatReport', () => {
  it('prints each row with its fields before → after and the totals', () => {
    const text = formatReport({
      projection: 'postgres',
      dryRun: true,
      aggregates: 1,
      events: 3,
      uptoSeq: 9,
      rows: [
        {
          table: 'settlement',
          key: { campaign_id: 'c', branch_id: 'main', id: 'town' },
          change: 'updated',
          seq: 9,
          storedSeq: 9,
          fields: [{ field: 'name', before: 'CORRUPT', after: 'Ashford' }],
        },
      ],
    });
    expect(text).toBe(
      'dry run, nothing written: re-projected 1 aggregate(s), 3 event(s) up to sequence 9 (the postgres checkpoint) into postgres\n' +
        'settlement campaign_id=c branch_id=main id=town: would be updated\n' +
        '    name: "CORRUPT" → "Ashford"\n' +
        '1 row(s): 1 updated\n',
    );
  });
});
