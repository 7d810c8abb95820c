import { setTimeout as sleep } from 'node:timers/promises';
import os from 'node:os';
import { cpuPerOperation, type CpuSnapshot } from './cpu.js';
import { round, Samples, type LatencySummary } from './stats.js';

/** What one load phase measured. */
export interface LoadResult {
  /** Completed operations per second (successful ones). */
  rate: number;
  ok: number;
  errors: number;
  /** Error kinds and how often, e.g. `{ CONFLICT: 3 }`. */
  errorKinds: Record<string, number>;
  seconds: number;
  latencyMs: LatencySummary;
  /** CPU microseconds per successful operation of each part of the system, when sampled. */
  cpu?: ReturnType<typeof cpuPerOperation>;
}

/** One operation; `i` is a unique sequence number across all senders. Throw (or return an error kind) to fail. */
export type Operation = (i: number) => Promise<string | void>;

function recorder() {
  const samples = new Samples();
  const errorKinds: Record<string, number> = {};
  let ok = 0;
  let errors = 0;
  return {
    record(ms: number, outcome: string | void | Error) {
      if (outcome === undefined) {
        ok += 1;
        samples.add(ms);
        return;
      }
      errors += 1;
      const kind = outcome instanceof Error ? outcome.message.slice(0, 80) : outcome;
      errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    },
    result(seconds: number): LoadResult {
      return {
        rate: round(ok / seconds, 1),
        ok,
        errors,
        errorKinds,
        seconds: round(seconds),
        latencyMs: samples.summary(),
      };
    },
  };
}

/**
 * Closed loop: `concurrency` senders, each sending its next operation as soon as the previous one completed, for
 * `durationMs` after a warm-up that is not counted (JIT, connection pools, caches), or until `maxOps` operations
 * were started, whichever comes first.
 */
export async function closedLoop(opts: {
  concurrency: number;
  durationMs: number;
  warmupMs?: number;
  op: Operation;
  firstIndex?: number;
  maxOps?: number;
  cpu?: () => CpuSnapshot;
}): Promise<LoadResult> {
  let next = opts.firstIndex ?? 0;
  const last = next + (opts.maxOps ?? Infinity);
  const warmupEnd = performance.now() + (opts.warmupMs ?? 0);
  const end = warmupEnd + opts.durationMs;
  const rec = recorder();
  let measuredFrom = 0;
  let cpuFrom: CpuSnapshot | undefined;
  const sender = async () => {
    for (;;) {
      const started = performance.now();
      if (started >= end || next >= last) return;
      const i = next++;
      let outcome: string | void | Error;
      try {
        outcome = await opts.op(i);
      } catch (e) {
        outcome = e as Error;
      }
      if (started >= warmupEnd) rec.record(performance.now() - started, outcome);
    }
  };
  const warm = (async () => {
    await sleep(Math.max(0, warmupEnd - performance.now()));
    measuredFrom = performance.now();
    cpuFrom = opts.cpu?.();
  })();
  await Promise.all([warm, ...Array.from({ length: opts.concurrency }, sender)]);
  // Operations started before the deadline may finish after it; they count, and so does the time they took.
  const result = rec.result((performance.now() - measuredFrom) / 1000);
  if (opts.cpu && cpuFrom)
    result.cpu = cpuPerOperation(cpuFrom, opts.cpu(), result.ok, result.seconds, os.cpus().length);
  return result;
}

/**
 * Open loop: operations start on a fixed schedule (`rate` per second) whether or not earlier ones finished, and
 * latency counts from the scheduled start, so a stall shows up in the percentiles instead of silently slowing the
 * sender down (coordinated omission). More than `maxInFlight` outstanding operations count as errors.
 */
export async function openLoop(opts: {
  rate: number;
  durationMs: number;
  op: Operation;
  maxInFlight?: number;
  firstIndex?: number;
}): Promise<LoadResult & { targetRate: number }> {
  const rec = recorder();
  const interval = 1000 / opts.rate;
  const total = Math.round((opts.durationMs / 1000) * opts.rate);
  const maxInFlight = opts.maxInFlight ?? 5_000;
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  for (let k = 0; k < total; k += 1) {
    const due = start + k * interval;
    const wait = due - performance.now();
    // Timers fire at millisecond granularity: sleep only when at least a millisecond ahead, then catch up.
    if (wait >= 1) await sleep(wait);
    if (pending.size >= maxInFlight) {
      rec.record(0, 'dropped: too many in flight');
      continue;
    }
    const i = (opts.firstIndex ?? 0) + k;
    // From when it was due, or from when it started if that was earlier (less than a millisecond ahead).
    const from = Math.min(due, performance.now());
    const p: Promise<void> = opts
      .op(i)
      .then(
        (outcome) => rec.record(performance.now() - from, outcome),
        (e: unknown) => rec.record(performance.now() - from, e as Error),
      )
      .finally(() => pending.delete(p));
    pending.add(p);
  }
  await Promise.all(pending);
  return { ...rec.result((performance.now() - start) / 1000), targetRate: opts.rate };
}
