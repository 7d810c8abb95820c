import { describe, expect, it } from 'vitest';
import { dueWindows, schedule, windowToken } from './windows.js';

const at = (iso: string) => new Date(iso);
const isoList = (ds: Date[]) => ds.map((d) => d.toISOString());

describe('dueWindows', () => {
  const everyTwoSeconds = schedule('*/2 * * * * *');

  it('runs nothing on a first start and records the latest past window', () => {
    const due = dueWindows(everyTwoSeconds, null, at('2026-01-01T00:00:05.300Z'), 60_000);
    expect(due.run).toEqual([]);
    expect(due.initial?.toISOString()).toBe('2026-01-01T00:00:04.000Z');
  });

  it('runs each window since the last one once, in order', () => {
    const due = dueWindows(everyTwoSeconds, at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:06.100Z'), 60_000);
    expect(isoList(due.run)).toEqual([
      '2026-01-01T00:00:02.000Z',
      '2026-01-01T00:00:04.000Z',
      '2026-01-01T00:00:06.000Z',
    ]);
    expect(due.beyondHorizon).toBeNull();
  });

  it('runs nothing when the last window is the latest', () => {
    const due = dueWindows(everyTwoSeconds, at('2026-01-01T00:00:06Z'), at('2026-01-01T00:00:07.900Z'), 60_000);
    expect(due.run).toEqual([]);
  });

  it('reports the windows older than the horizon and runs the rest', () => {
    const due = dueWindows(everyTwoSeconds, at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:10.500Z'), 5_000);
    expect(isoList(due.run)).toEqual([
      '2026-01-01T00:00:06.000Z',
      '2026-01-01T00:00:08.000Z',
      '2026-01-01T00:00:10.000Z',
    ]);
    expect(due.beyondHorizon).toEqual({
      count: 2,
      first: at('2026-01-01T00:00:02Z'),
      last: at('2026-01-01T00:00:04Z'),
    });
  });

  it('handles five-field hourly expressions', () => {
    const hourly = schedule('0 * * * *');
    const due = dueWindows(hourly, at('2026-01-01T10:00:00Z'), at('2026-01-01T12:30:00Z'), 86_400_000);
    expect(isoList(due.run)).toEqual(['2026-01-01T11:00:00.000Z', '2026-01-01T12:00:00.000Z']);
  });

  it('caps the windows it runs', () => {
    const due = dueWindows(everyTwoSeconds, at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:20Z'), 60_000, 3);
    expect(isoList(due.run)).toEqual([
      '2026-01-01T00:00:16.000Z',
      '2026-01-01T00:00:18.000Z',
      '2026-01-01T00:00:20.000Z',
    ]);
    expect(due.beyondHorizon?.count).toBe(7);
  });
});

describe('windowToken', () => {
  it('is compact and free of subject separators', () => {
    expect(windowToken('2026-11-29T12:00:00.000Z')).toBe('20261129T120000Z');
  });
});
