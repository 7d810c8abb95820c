import { describe, expect, it } from 'vitest';
import { cpuPerOperation, cpuSampler } from './cpu.js';

describe('CPU accounting of the benchmark', () => {
  it('reads this process and its named children from /proc, and sees CPU time grow with work', () => {
    const sample = cpuSampler({ 'this test': process.pid });
    const before = sample();
    // Spin until the kernel's own account (process.cpuUsage) shows 200 ms of CPU, however busy the machine is:
    // a fixed wall-clock spin gets less CPU when other processes share the cores.
    const start = process.cpuUsage();
    let spin = 0;
    while (process.cpuUsage(start).user + process.cpuUsage(start).system < 200_000) spin += 1;
    const after = sample();
    expect(spin).toBeGreaterThan(0);
    expect(after['this test']! - before['this test']!).toBeGreaterThanOrEqual(150);
  });

  it('divides the CPU each part spent by the operations, and the total by the machine', () => {
    const r = cpuPerOperation({ a: 1_000, b: 500 }, { a: 1_400, b: 700, c: 100 }, 1_000, 1, 2);
    expect(r.usPerOp).toEqual({ a: 400, b: 200, c: 100, total: 700 });
    expect(r.busyShare).toBe(0.35);
  });
});
