import { randomUUID } from 'node:crypto';
import type { CommandEnvelope, CommandReply, CommandType, NatsNames } from '@cm/contracts';
import type { Nats } from '@cm/platform';
import type { CpuSnapshot } from './cpu.js';
import { closedLoop, type LoadResult } from './load.js';

const USER = 'bench-user';

/**
 * Sends one command the way any NATS client may (plain JSON request/reply) and returns the reply; `subject`
 * overrides the command service's subject for the type.
 */
export async function sendCommand(
  nats: Nats,
  names: NatsNames,
  type: CommandType,
  campaignId: string,
  aggregateId: string,
  payload: unknown,
  subject = names.commandSubject(type),
): Promise<CommandReply> {
  const envelope: Omit<CommandEnvelope, 'payload'> & { payload: unknown } = {
    commandId: randomUUID(),
    type,
    campaignId,
    branchId: 'main',
    aggregateId,
    payload,
    actor: { userId: USER },
    correlationId: randomUUID(),
    issuedAt: new Date().toISOString(),
  };
  const msg = await nats.nc.request(subject, JSON.stringify(envelope), { timeout: 10_000 });
  return msg.json<CommandReply>();
}

/** Error kind of a reply, or nothing when it succeeded. */
const outcome = (r: CommandReply): string | void => (r.ok ? undefined : r.error.code);

export interface CommandThroughput {
  create1: LoadResult;
  create64: LoadResult;
  rename64: LoadResult;
}

/**
 * Commands per second through the command service over NATS request/reply: creates of distinct kingdoms with 1
 * and 64 concurrent senders, then renames spread over the kingdoms created (each a load from the aggregate cache,
 * a decision and an append with the expected sequence).
 */
export async function measureCommands(
  nats: Nats,
  names: NatsNames,
  durationMs: number,
  log: (s: string) => void,
  cpu?: () => CpuSnapshot,
): Promise<CommandThroughput> {
  const campaignId = `bench-${randomUUID().slice(0, 8)}`;
  const created = await sendCommand(nats, names, 'campaign.create', campaignId, campaignId, {
    name: 'Benchmark campaign',
  });
  if (!created.ok)
    throw new Error(`cannot create the benchmark campaign: ${created.error.code} ${created.error.message}`);

  const create = (i: number) =>
    sendCommand(nats, names, 'kingdom.create', campaignId, `k${i}`, { name: `Kingdom ${i}` }).then(outcome);
  log('commands through the command service, 1 sender (kingdom.create)');
  const create1 = await closedLoop({ concurrency: 1, durationMs, warmupMs: 500, op: create, cpu });
  log(`  ${create1.rate} cmds/s, p50 ${create1.latencyMs.p50} ms, ${create1.errors} errors`);
  log('commands through the command service, 64 senders (kingdom.create)');
  const create64 = await closedLoop({
    concurrency: 64,
    durationMs,
    warmupMs: 1000,
    op: create,
    firstIndex: 10_000_000,
    cpu,
  });
  log(
    `  ${create64.rate} cmds/s, p50 ${create64.latencyMs.p50} ms, p99 ${create64.latencyMs.p99} ms, ${create64.errors} errors`,
  );
  if (create64.cpu)
    log(
      `  CPU µs per command ${JSON.stringify(create64.cpu.usPerOp)}, machine ${Math.round(create64.cpu.busyShare * 100)}% busy`,
    );

  // Rename kingdoms that exist: the ones the 64-sender phase created are k10000000 upwards.
  const spread = Math.max(1, create64.ok);
  const rename = (i: number) =>
    sendCommand(nats, names, 'kingdom.rename', campaignId, `k${10_000_000 + (i % spread)}`, {
      name: `Renamed ${i}`,
    }).then(outcome);
  log(`commands through the command service, 64 senders (kingdom.rename over ${spread} kingdoms)`);
  const rename64 = await closedLoop({ concurrency: 64, durationMs, warmupMs: 500, op: rename, cpu });
  log(
    `  ${rename64.rate} cmds/s, p50 ${rename64.latencyMs.p50} ms, p99 ${rename64.latencyMs.p99} ms, ${rename64.errors} errors`,
  );
  if (rename64.cpu)
    log(
      `  CPU µs per command ${JSON.stringify(rename64.cpu.usPerOp)}, machine ${Math.round(rename64.cpu.busyShare * 100)}% busy`,
    );

  return { create1, create64, rename64 };
}

/**
 * Appends up to `count` kingdom creates to a new campaign, 64 in flight, and stops starting new ones after
 * `maxMs`. Returns how many succeeded: the backlog that the projection catch-up measures.
 */
export async function writeBurst(nats: Nats, names: NatsNames, count: number, maxMs: number): Promise<number> {
  const campaignId = `burst-${randomUUID().slice(0, 8)}`;
  const created = await sendCommand(nats, names, 'campaign.create', campaignId, campaignId, {
    name: 'Catch-up campaign',
  });
  if (!created.ok)
    throw new Error(`cannot create the catch-up campaign: ${created.error.code} ${created.error.message}`);
  const create = (i: number) =>
    sendCommand(nats, names, 'kingdom.create', campaignId, `k${i}`, { name: `Kingdom ${i}` }).then(outcome);
  return (await closedLoop({ concurrency: 64, durationMs: maxMs, op: create, maxOps: count })).ok;
}
