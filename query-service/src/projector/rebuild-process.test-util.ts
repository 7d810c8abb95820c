import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { signToken } from '@cm/platform';
import { distEntry } from '@cm/testkit';

export { until } from '@cm/testkit';
import type { RebuildProgress } from './shadow-rebuild.js';

/*
 * What the rebuild specs (`shadow-rebuild.int.spec.ts` for Postgres, `redis-rebuild.int.spec.ts` for Redis) share:
 * a GraphQL reader running throughout, and the rebuild process with its progress lines (the system itself is a
 * `ProjectorTestSystem`).
 */

export type Dropped = { phase: 'dropped'; schemas?: string[]; generations?: string[] };

export interface RebuildRun {
  lines: (RebuildProgress | Dropped)[];
  code: number | null;
  signal: NodeJS.Signals | null;
}

const running = new Set<ChildProcess>();

/** Runs `query-service/dist/projector/rebuild.main.js` with `args`; `onProgress` may kill it. */
export function runRebuildProcess(
  env: Record<string, string>,
  args: string[],
  onProgress: (p: RebuildProgress, child: ChildProcess) => void = () => {},
): Promise<RebuildRun> {
  const child = spawn(
    process.execPath,
    [distEntry('query-service').replace(/main\.js$/, 'projector/rebuild.main.js'), ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  running.add(child);
  const lines: RebuildRun['lines'] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const parsed = JSON.parse(line) as RebuildProgress | Dropped | { level: number };
    if ('phase' in parsed) {
      lines.push(parsed);
      if (parsed.phase !== 'dropped') onProgress(parsed, child);
    }
  });
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ lines, code, signal });
    }),
  );
}

/** Kills every rebuild process a spec left running. */
export function killRebuildProcesses(): void {
  for (const child of running) child.kill('SIGKILL');
}

/**
 * Sends `query` as `userId` to the query service over and over until stopped; an answer that is not a 200 without
 * errors, or that `accept` refuses, counts as a failure. `stop` resolves to the reads made and the failures.
 */
export function readThroughout(
  port: number,
  secret: string,
  userId: string,
  query: string,
  accept: (data: Record<string, unknown>) => boolean,
): { stop(): Promise<{ reads: number; failures: string[] }> } {
  let stopping = false;
  const failures: string[] = [];
  let reads = 0;
  const loop = (async () => {
    const token = await signToken(secret, userId);
    while (!stopping) {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      }).catch((e: Error) => ({ status: 0, json: async () => ({ errors: [{ message: e.message }] }) }));
      const body = (await res.json()) as { errors?: unknown[]; data?: Record<string, unknown> };
      reads += 1;
      if (res.status !== 200 || body.errors || !body.data || !accept(body.data))
        failures.push(JSON.stringify({ status: res.status, body }).slice(0, 300));
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      return { reads, failures };
    },
  };
}
