import { readFileSync, unlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeNats, connectNats, ensureEventStream, type Nats } from '@cm/platform';
import { natsUrl, toolLogger } from '../nats-admin.js';
import { row } from './report.js';
import { runBench } from './runner.js';

// The runner every `--only` bench goes through, against the real NATS and Postgres: the results file keeps the shape
// earlier results have, and the run's connection, deferred cleanups and namespace are gone whether it measured or not.
describe('runBench', () => {
  const written: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    for (const file of written.splice(0)) unlinkSync(file);
  });

  it('writes startedAt, finishedAt, machine, settings, the data keys and rows, prints them, and drops the namespace', async () => {
    const logs: string[] = [];
    let printed = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((printed += String(chunk)), true));
    let stream = '';
    let namespace = '';
    const code = await runBench({ name: 'spec', label: 'bspec', log: (s) => logs.push(s) }, async (ctx) => {
      namespace = ctx.names.namespace;
      stream = ctx.nn.eventStream;
      expect(ctx.env).toMatchObject({ NODE_ENV: 'production', JWT_SECRET: ctx.jwtSecret, RATE_LIMIT_ENABLED: 'false' });
      await ensureEventStream((await ctx.nats()).jsm, ctx.nn, { replicas: 1, duplicateWindowMs: 1_000 });
      return { settings: { events: 3 }, data: { measured: { rate: 42 } }, rows: [row('a metric', 42, 'ops/s')] };
    });
    expect(code).toBe(0);
    const file = logs.find((l) => l.startsWith('results written to '))!.slice('results written to '.length);
    written.push(file);
    expect(basename(file)).toMatch(/^bench-spec-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.json$/);
    const results = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
    expect(Object.keys(results)).toEqual(['startedAt', 'finishedAt', 'machine', 'settings', 'measured', 'rows']);
    expect(Object.keys(results.machine!)).toEqual(['cpus', 'cpuModel', 'loadAverage', 'node', 'natsServer']);
    expect(results.settings).toEqual({ namespace, events: 3 });
    expect(results.measured).toEqual({ rate: 42 });
    expect(printed).toContain(JSON.stringify(results, null, 2));
    expect(printed).toContain('| a metric | 42 ops/s |');

    const nats = await connectNats(natsUrl(), 'runner-spec', toolLogger('runner-spec'));
    try {
      await expect(nats.jsm.streams.info(stream)).rejects.toThrow(/stream not found/);
    } finally {
      await closeNats(nats);
    }
  });

  it('returns 1 when the bench throws, after closing its connection and running its cleanups, last first', async () => {
    const logs: string[] = [];
    const cleaned: string[] = [];
    let nats: Nats | undefined;
    const code = await runBench(
      { name: 'spec', label: 'bspec', title: 'Spec', log: (s) => logs.push(s) },
      async (ctx) => {
        ctx.defer(() => cleaned.push('first'));
        ctx.defer(async () => void cleaned.push('second'));
        nats = await ctx.nats();
        throw new Error('boom');
      },
    );
    expect(code).toBe(1);
    expect(logs).toContain('Spec benchmark could not run: boom');
    expect(cleaned).toEqual(['second', 'first']);
    expect(nats!.nc.isClosed()).toBe(true);
  });
});
