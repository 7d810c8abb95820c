import { describe, expect, it } from 'vitest';
import { UsageError } from './command.js';
import { formatReport, splitTo } from './replay-into.js';

describe('splitTo', () => {
  it('tells the end of the range from the projection, in any order', () => {
    expect(splitTo(['postgres'])).toEqual({ projection: 'postgres' });
    expect(splitTo(['42', 'redis'])).toEqual({ end: '42', projection: 'redis' });
    expect(splitTo(['2026-11-30T01:00:00Z'])).toEqual({ end: '2026-11-30T01:00:00Z' });
    expect(splitTo(undefined)).toEqual({});
  });

  it('refuses an unknown projection with its code', () => {
    expect(() => splitTo(['elastic'])).toThrow(UsageError);
    expect(() => splitTo(['elastic'])).toThrow(/^VALIDATION: --to "elastic" is no projection/);
    expect(() => splitTo(['postgres', 'redis'])).toThrow(/one projection/);
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
