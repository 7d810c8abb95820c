import { Cron } from 'croner';

/** What a cron tick must do about the windows since the last one it planned. */
export interface DueWindows {
  /** Windows to run, oldest first. */
  run: Date[];
  /** Missed windows older than the catch-up horizon: reported, never run. */
  beyondHorizon: { count: number; first: Date; last: Date } | null;
  /** With no state yet: the latest past window, recorded as done so that a first start does not run history. */
  initial: Date | null;
}

/** Enumeration bound: an every-second cron across days of downtime must not loop for minutes. */
const MAX_COUNTED = 100_000;

/** A cron expression as a pure schedule: no timers, only the times it matches. */
export function schedule(expression: string): Cron {
  return new Cron(expression, { paused: true, mode: '5-or-6-parts' });
}

/**
 * The windows of `cron` after `lastWindow` up to `now`, split by the horizon: a window at or after
 * `now - horizonMs` runs, an older one is reported. At most `maxRun` windows run (the newest); older ones count as
 * beyond the horizon.
 */
export function dueWindows(
  cron: Cron,
  lastWindow: Date | null,
  now: Date,
  horizonMs: number,
  maxRun = 1000,
): DueWindows {
  if (!lastWindow) {
    const [latest] = cron.previousRuns(1, new Date(now.getTime() + 1));
    return { run: [], beyondHorizon: null, initial: latest ?? null };
  }
  const horizonStart = now.getTime() - horizonMs;
  const run: Date[] = [];
  let skipped: DueWindows['beyondHorizon'] = null;
  const skip = (d: Date) => {
    skipped = skipped ? { count: skipped.count + 1, first: skipped.first, last: d } : { count: 1, first: d, last: d };
  };
  let counted = 0;
  for (let next = cron.nextRun(lastWindow); next && next.getTime() <= now.getTime(); next = cron.nextRun(next)) {
    if (next.getTime() < horizonStart) {
      if (++counted > MAX_COUNTED) {
        // Jump to the horizon: the count is then a lower bound, which the report says.
        next = cron.nextRun(new Date(horizonStart - 1));
        if (!next || next.getTime() > now.getTime()) break;
        if (next.getTime() < horizonStart) skip(next);
        else run.push(next);
        continue;
      }
      skip(next);
    } else run.push(next);
  }
  while (run.length > maxRun) skip(run.shift()!);
  return { run, beyondHorizon: skipped, initial: null };
}

/** `2026-11-29T12:00:00.000Z` → `20261129T120000Z`: a window inside ids and subject tokens. */
export function windowToken(window: string | Date): string {
  const iso = typeof window === 'string' ? window : window.toISOString();
  return iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}
