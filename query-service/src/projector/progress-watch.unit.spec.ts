import { describe, expect, it } from 'vitest';
import { ProgressWatch } from './progress-watch.js';

// Times are passed in: "now" is an argument of every reading, and the watch starts its clocks from Date.now().
describe('ProgressWatch', () => {
  it('is healthy while idle, however long it waits', () => {
    const watch = new ProgressWatch(1000);
    watch.waiting();
    expect(watch.stalled(Date.now() + 60_000)).toBeUndefined();
    expect(watch.noProgressForMs(Date.now() + 60_000)).toBe(0);
  });

  it('counts as stalled once it works without committing for stallMs, and says for how long', () => {
    const watch = new ProgressWatch(1000);
    watch.working();
    const t = Date.now();
    expect(watch.stalled(t + 500)).toBeUndefined();
    expect(watch.stalled(t + 12_400)).toBe('no progress for 12 s');
  });

  it('measures from the last committed batch, and a new stretch of work starts a fresh clock', () => {
    const watch = new ProgressWatch(1000);
    watch.working();
    watch.progressed();
    const t = Date.now();
    expect(watch.stalled(t + 900)).toBeUndefined();
    expect(watch.stalled(t + 1100)).toBe('no progress for 1 s');
    watch.waiting();
    watch.working();
    expect(watch.stalled(Date.now() + 900)).toBeUndefined();
  });

  it('keeps its clock while work continues: a failed batch is not progress', () => {
    const watch = new ProgressWatch(1000);
    watch.working();
    const t = Date.now();
    watch.working(); // a retry after a failure
    expect(watch.stalled(t + 2000)).toBe('no progress for 2 s');
  });
});
