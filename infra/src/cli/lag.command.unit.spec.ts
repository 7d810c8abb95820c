import { describe, expect, it } from 'vitest';
import { UsageError } from './command.js';
import { exceeds, parseMaxLag, type LagReport } from './lag.command.js';

const report = (secondsBehind: number, behind: number) => ({ secondsBehind, behind }) as LagReport;

describe('cm lag --max-lag', () => {
  it('reads seconds (bare or with s) and events (ev, events)', () => {
    expect(parseMaxLag('30')).toEqual({ seconds: 30 });
    expect(parseMaxLag('2.5s')).toEqual({ seconds: 2.5 });
    expect(parseMaxLag('1000ev')).toEqual({ events: 1000 });
    expect(parseMaxLag('10 events')).toEqual({ events: 10 });
    expect(() => parseMaxLag('soon')).toThrow(UsageError);
    expect(() => parseMaxLag('-1')).toThrow(UsageError);
  });

  it('is exceeded only past the limit, in its own unit', () => {
    expect(exceeds(report(5, 100), { seconds: 5 })).toBe(false);
    expect(exceeds(report(5.1, 0), { seconds: 5 })).toBe(true);
    expect(exceeds(report(100, 10), { events: 10 })).toBe(false);
    expect(exceeds(report(0, 11), { events: 10 })).toBe(true);
  });
});
