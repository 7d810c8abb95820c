import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsNames } from '@cm/contracts';
import { isolatedNames, startSystem, type System } from '@cm/infra';
import type { Nats } from '@cm/platform';
import { closeTestNats, CommandClient, connectTestNats, until } from '@cm/testkit';

// `cm lag` against the real system: the command service writing, the projector process applying, the built CLI
// run as an operator runs it. The projector is frozen with SIGSTOP (a process that hangs, not one that exits) to
// make it fall behind, then thawed with SIGCONT.
const names = isolatedNames('lag');
const nn = natsNames(names.namespace);
const cli = fileURLToPath(new URL('../../infra/dist/cli.js', import.meta.url));
const run = promisify(execFile);
let system: System;
let nats: Nats;
let commands: CommandClient;
let frozen: number | undefined;

interface LagLine {
  stream: string;
  consumer: string;
  lastSeq: number;
  appliedSeq: number;
  appliedFrom: string;
  pending: number;
  ackPending: number;
  redelivered: number;
  behind: number;
  secondsBehind: number;
  parked: number;
}

async function cm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    // Postgres's --drop-old needs only the schema; Redis's generations live under the namespace's prefix.
    const namespace = args.includes('--drop-old') && args[1] !== 'redis' ? [] : ['--namespace', names.namespace];
    const { stdout, stderr } = await run(process.execPath, [cli, ...args, ...namespace], {
      env: { ...process.env, DATABASE_SCHEMA: names.schema },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

async function lag(extra: string[] = []): Promise<{ code: number; lines: LagLine[] }> {
  const { code, stdout, stderr } = await cm(['lag', '--json', ...extra]);
  if (code !== 0 && code !== 3) throw new Error(`cm lag failed (${code}): ${stderr}`);
  return { code, lines: JSON.parse(stdout) as LagLine[] };
}

const projection = (lines: LagLine[]) => lines.find((l) => l.consumer === nn.projectionConsumer('postgres'))!;

async function kingdoms(campaignId: string, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i += 1) {
    const reply = await commands.send('kingdom.create', campaignId, `k${i}`, { name: `Kingdom ${i}` });
    expect(reply.ok).toBe(true);
  }
}

beforeAll(async () => {
  system = await startSystem({
    ...names,
    // The API too: it runs the cache invalidator, whose consumer `cm lag --max-lag` judges with the others.
    services: ['command-service', 'query-api', 'query-projector'],
    env: { LOG_LEVEL: 'warn' },
  });
  nats = await connectTestNats('e2e-lag');
  commands = new CommandClient(nats, names.namespace);
});

afterAll(async () => {
  if (frozen) process.kill(frozen, 'SIGCONT');
  await closeTestNats(nats);
  await system?.stop({ cleanup: true });
});

describe('operator CLI: cm lag, cm parked, cm rebuild', () => {
  it("reports the server's pending counts; seconds behind grows while the projector is frozen and returns to zero after", async () => {
    const campaignId = `lag${Date.now()}`;
    expect((await commands.send('campaign.create', campaignId, campaignId, { name: 'Lag test' })).ok).toBe(true);
    await kingdoms(campaignId, 0, 20);
    const last = (await nats.jsm.streams.info(nn.eventStream)).state.last_seq;
    await until('the projection caught up', async () => projection((await lag()).lines).appliedSeq === last);

    // The same figures as the server's consumer info, for every durable consumer (the stream is quiet now).
    const { code, lines } = await lag(['--max-lag', '5s']);
    expect(code).toBe(0);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const line of lines) {
      const info = await nats.jsm.consumers.info(line.stream, line.consumer);
      expect([line.consumer, line.pending, line.ackPending, line.redelivered]).toEqual([
        line.consumer,
        info.num_pending,
        info.num_ack_pending,
        info.num_redelivered,
      ]);
    }
    expect(projection(lines)).toMatchObject({
      appliedFrom: 'checkpoint',
      lastSeq: last,
      behind: 0,
      secondsBehind: 0,
      parked: 0,
    });

    frozen = system.pid('query-projector')!;
    process.kill(frozen, 'SIGSTOP');
    await kingdoms(campaignId, 20, 10);
    const written = (await nats.jsm.streams.info(nn.eventStream)).state.last_seq;
    const first = projection((await lag()).lines);
    await sleep(1500);
    const stopped = await lag(['--max-lag', '1s']);
    const second = projection(stopped.lines);
    expect(first.appliedSeq).toBe(last);
    expect(second).toMatchObject({ appliedSeq: last, lastSeq: written, behind: written - last });
    expect(second.secondsBehind).toBeGreaterThan(first.secondsBehind);
    expect(second.secondsBehind).toBeGreaterThan(1);
    expect(stopped.code).toBe(3);
    const table = await cm(['lag', '--max-lag', '5ev']);
    expect(table.code).toBe(3);
    expect(table.stdout).toMatch(new RegExp(`${nn.projectionConsumer('postgres')} \\(!\\)`));

    process.kill(frozen, 'SIGCONT');
    frozen = undefined;
    await until('the projection caught up again', async () => projection((await lag()).lines).appliedSeq === written);
    // The projector process holds the Redis projection too, and the API's cache invalidator follows the stream:
    // --max-lag judges every consumer, so wait for all of them.
    await until('every consumer caught up again', async () => (await lag()).lines.every((l) => l.behind === 0));
    const after = await lag(['--max-lag', '1s']);
    expect(projection(after.lines)).toMatchObject({ behind: 0, secondsBehind: 0 });
    expect(after.code).toBe(0);
  });

  it('cm parked lists, retries and skips through the running projector', async () => {
    const list = await cm(['parked', '--schema', names.schema]);
    expect(list).toMatchObject({
      code: 0,
      stdout: `no parked commits for projection postgres in schema ${names.schema}\n`,
    });
    const listed = await cm(['parked', 'list', '--all', '--json', '--schema', names.schema]);
    expect(JSON.parse(listed.stdout)).toEqual([]);
    const retry = await cm(['parked', 'retry']);
    expect(retry).toMatchObject({ code: 0, stdout: 'applied 0 parked commit(s); 0 still parked\n' });
    const skip = await cm(['parked', 'skip', '12345', '--reason', 'not there']);
    expect(skip.code).toBe(1);
    expect(skip.stderr).toMatch(/no parked commit at sequence 12345/);
    expect((await cm(['parked', 'skip', '12345'])).code).toBe(2);
  });

  it('cm rebuild postgres swaps in a rebuilt generation with a final report; --drop-old drops the old one', async () => {
    const last = (await nats.jsm.streams.info(nn.eventStream)).state.last_seq;
    const rebuilt = await cm(['rebuild', 'postgres', '--batch-size', '10']);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stderr).toMatch(
      new RegExp(`rebuilding ${names.schema} into ${names.schema}_rebuild from sequence 1, up to \\d+`),
    );
    expect(rebuilt.stdout).toMatch(new RegExp(`swapped: ${names.schema} is the rebuilt generation \\(checkpoint \\d+`));
    expect(rebuilt.stdout).toMatch(new RegExp(`previous generation kept as ${names.schema}_old_\\d{14}`));
    expect(rebuilt.stdout).toMatch(/kingdom\s+30\n/);
    await until('the projection caught up', async () => projection((await lag()).lines).appliedSeq === last);
    expect((await cm(['rebuild'])).code).toBe(2);
    const dropped = await cm(['rebuild', '--drop-old']);
    expect(dropped).toMatchObject({ code: 0 });
    expect(dropped.stdout).toMatch(new RegExp(`^dropped ${names.schema}_old_\\d{14}\n$`));
  });

  it('cm rebuild redis swaps in a rebuilt generation with a final report; --drop-old drops the old one', async () => {
    const base = `${names.namespace}:rm:`;
    const rebuilt = await cm(['rebuild', 'redis', '--batch-size', '10']);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stderr).toMatch(
      new RegExp(`rebuilding ${base} into ${base}g:\\d{14}-[0-9a-f]{6}: from sequence 1, up to \\d+`),
    );
    expect(rebuilt.stdout).toMatch(new RegExp(`swapped: ${base}g:\\d{14}-[0-9a-f]{6}: \\(the generation`));
    expect(rebuilt.stdout).toContain(
      `previous generation kept as ${base} (drop it with: npm run cm -- rebuild redis --drop-old)`,
    );
    expect(rebuilt.stdout).toMatch(/documents:\n[\s\S]*kingdom\s+30\n/);
    const dropped = await cm(['rebuild', 'redis', '--drop-old']);
    expect(dropped).toMatchObject({ code: 0, stdout: `dropped ${base}\n` });
    expect((await cm(['rebuild', 'redis', '--drop-old'])).stdout).toBe('no old generations to drop\n');
  });
});
