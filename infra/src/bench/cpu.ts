import { readdirSync, readFileSync } from 'node:fs';
import { round } from './stats.js';

/** CPU time (user + system, in milliseconds) per process group, read from /proc. */
export type CpuSnapshot = Record<string, number>;

/** Clock ticks per second of /proc/<pid>/stat; 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

function readStat(pid: number): { comm: string; ppid: number; cpuMs: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces; the fields after it are space separated.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    const ppid = Number(fields[1]);
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { comm, ppid, cpuMs: (ticks * 1000) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/**
 * Samples the CPU time of the system's parts: each service process (with its children), the NATS server, all
 * PostgreSQL and Redis processes, and this benchmark process. Linux only; elsewhere it returns nothing.
 */
export function cpuSampler(services: Record<string, number | undefined>): () => CpuSnapshot {
  return () => {
    const snapshot: CpuSnapshot = {};
    let procs: { pid: number; comm: string; ppid: number; cpuMs: number }[];
    try {
      procs = readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .flatMap((d) => {
          const s = readStat(Number(d));
          return s ? [{ pid: Number(d), ...s }] : [];
        });
    } catch {
      return snapshot;
    }
    const byPid = new Map(procs.map((p) => [p.pid, p]));
    const serviceOf = new Map<number, string>();
    for (const [name, pid] of Object.entries(services)) if (pid) serviceOf.set(pid, name);
    const owner = (p: { pid: number; ppid: number }): string | undefined => {
      for (
        let cur: { pid: number; ppid: number } | undefined = p, hops = 0;
        cur && hops < 8;
        cur = byPid.get(cur.ppid), hops += 1
      ) {
        const name = serviceOf.get(cur.pid);
        if (name) return name;
      }
      return undefined;
    };
    const add = (key: string, ms: number) => (snapshot[key] = (snapshot[key] ?? 0) + ms);
    for (const p of procs) {
      const name =
        owner(p) ??
        (p.pid === process.pid
          ? 'bench client'
          : p.comm === 'nats-server'
            ? 'nats-server'
            : p.comm.startsWith('postgres')
              ? 'postgres'
              : p.comm.startsWith('redis-server')
                ? 'redis'
                : undefined);
      if (name) add(name, p.cpuMs);
    }
    return snapshot;
  };
}

/** CPU microseconds each part spent per operation between two snapshots, and the share of the machine in use. */
export function cpuPerOperation(
  before: CpuSnapshot,
  after: CpuSnapshot,
  operations: number,
  seconds: number,
  cpus: number,
): { usPerOp: Record<string, number>; busyShare: number } {
  const usPerOp: Record<string, number> = {};
  let total = 0;
  for (const [name, ms] of Object.entries(after)) {
    const spent = ms - (before[name] ?? 0);
    total += spent;
    if (operations > 0) usPerOp[name] = round((spent * 1000) / operations, 1);
  }
  if (operations > 0) usPerOp.total = round((total * 1000) / operations, 1);
  return { usPerOp, busyShare: round(total / (seconds * 1000 * cpus), 3) };
}
