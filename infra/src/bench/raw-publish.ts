import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { eventStreamConfig, type Nats } from '@cm/platform';
import { Headers, type NatsNames } from '@cm/contracts';
import type { CpuSnapshot } from './cpu.js';
import { sendCommand } from './command-load.js';
import { closedLoop, type LoadResult } from './load.js';

/**
 * A commit of realistic size (one kingdom event with full metadata, ~450 bytes of JSON), so the raw numbers
 * compare with what the command service writes: a `KingdomCreated` at version 1, or a `KingdomRenamed` after it.
 */
export function sampleCommit(i: number, campaignId = 'bench', version = 1): Uint8Array {
  const commitId = randomUUID();
  return new TextEncoder().encode(
    JSON.stringify({
      commitId,
      events: [
        {
          id: `${commitId}:0`,
          type: version === 1 ? 'KingdomCreated' : 'KingdomRenamed',
          schemaVersion: 1,
          campaignId,
          branchId: 'main',
          entityType: 'kingdom',
          entityId: `k${i}`,
          aggregateVersion: version,
          data: { name: `Kingdom ${i}${version === 1 ? '' : ` v${version}`}` },
          metadata: {
            commandId: randomUUID(),
            correlationId: randomUUID(),
            causationId: null,
            userId: 'bench-user',
            occurredAt: new Date().toISOString(),
          },
        },
      ],
    }),
  );
}

/**
 * The headers the command service puts on a commit appended after the commits at `previousSeqs` (newest first,
 * all of them; none for a first commit).
 */
export function commitHeaders(previousSeqs: readonly number[]) {
  const h = natsHeaders();
  h.set(Headers.CorrelationId, randomUUID());
  h.set(Headers.PreviousSeqs, [...previousSeqs, 0].join(','));
  return h;
}

/** The raw limits, each measured in the same run as the phases compared with them. */
export interface RawLimits {
  inFlight1: LoadResult;
  inFlight64: LoadResult;
  /** A command's floor: request/reply to a bare responder process that does one JetStream publish per request. */
  commandFloor64: LoadResult;
  /**
   * The raw pair under a rename and a create, 64 in flight, on the stream `inFlight64` filled: publishes that
   * expect each subject's last sequence to subjects that already hold a message, then publishes to fresh
   * subjects (expecting 0) on the stream as large as the updates left it.
   */
  update64: LoadResult;
  createAfterUpdates64: LoadResult;
}

/**
 * The raw limits of the event log on this machine, on a throwaway stream configured exactly like the event
 * stream:
 * - publish-with-ack, each message as the command service sends a create (its own subject, `Nats-Msg-Id`,
 *   expected last subject sequence 0), with one publish in flight and with 64 pipelined;
 * - the pair under renames and creates: publishes to those subjects again, each expecting its last sequence,
 *   then to fresh subjects, both 64 in flight on a stream of about the same size;
 * - the floor under a command: the same JSON request the command service gets, answered by a bare responder in
 *   its own process (raw-responder.ts) after one such publish, with 64 in flight. What the command service adds
 *   on top (validation, authorization, decision, cache, framework) is the gap between this and the commands.
 * `cpuWith` samples CPU with extra processes attributed by pid.
 */
export async function measureRawPublish(
  nats: Nats,
  names: NatsNames,
  natsUrl: string,
  durationMs: number,
  log: (s: string) => void,
  cpuWith?: (extra: Record<string, number | undefined>) => () => CpuSnapshot,
): Promise<RawLimits> {
  const stream = `${names.eventStream.replace(/_EVENTS$/, '')}_BENCHRAW`;
  const prefix = `${names.prefix}.benchraw`;
  await nats.jsm.streams.add({
    ...eventStreamConfig(names, { replicas: 1, duplicateWindowMs: 120_000 }),
    name: stream,
    subjects: [`${prefix}.>`],
  });
  try {
    // Each subject's commit sequences, newest first, as the command service knows them from its aggregate cache.
    const seqs = new Map<number, number[]>();
    const op = async (i: number) => {
      const ack = await nats.js.publish(`${prefix}.bench.main.kingdom.k${i}`, sampleCommit(i), {
        msgID: randomUUID(),
        headers: commitHeaders([]),
        expect: { lastSubjectSequence: 0 },
      });
      seqs.set(i, [ack.seq]);
    };
    log('raw JetStream publish, 1 in flight');
    const inFlight1 = await closedLoop({ concurrency: 1, durationMs, warmupMs: 500, op });
    log(`  ${inFlight1.rate} msgs/s, p50 ${inFlight1.latencyMs.p50} ms`);
    log('raw JetStream publish, 64 in flight');
    const inFlight64 = await closedLoop({
      concurrency: 64,
      durationMs,
      warmupMs: 500,
      op,
      firstIndex: 10_000_000,
      cpu: cpuWith?.({}),
    });
    log(`  ${inFlight64.rate} msgs/s, p50 ${inFlight64.latencyMs.p50} ms`);
    if (inFlight64.cpu)
      log(
        `  CPU µs per publish ${JSON.stringify(inFlight64.cpu.usPerOp)}, machine ${Math.round(inFlight64.cpu.busyShare * 100)}% busy`,
      );

    const existing = [...seqs.keys()].filter((i) => i >= 10_000_000);
    const update = async (n: number) => {
      const i = existing[n % existing.length]!;
      const previous = seqs.get(i)!;
      const ack = await nats.js.publish(
        `${prefix}.bench.main.kingdom.k${i}`,
        sampleCommit(i, 'bench', previous.length + 1),
        {
          msgID: randomUUID(),
          headers: commitHeaders(previous),
          expect: { lastSubjectSequence: previous[0]! },
        },
      );
      seqs.set(i, [ack.seq, ...previous]);
    };
    log(
      `raw JetStream publish to subjects that hold a message (expecting their last sequence), 64 in flight, over ${existing.length} subjects`,
    );
    const update64 = await closedLoop({ concurrency: 64, durationMs, warmupMs: 500, op: update, cpu: cpuWith?.({}) });
    log(`  ${update64.rate} msgs/s, p50 ${update64.latencyMs.p50} ms, ${update64.errors} errors`);
    if (update64.cpu) log(`  CPU µs per publish ${JSON.stringify(update64.cpu.usPerOp)}`);
    log('raw JetStream publish to fresh subjects on the same stream, 64 in flight');
    const createAfterUpdates64 = await closedLoop({
      concurrency: 64,
      durationMs,
      warmupMs: 500,
      op,
      firstIndex: 20_000_000,
      cpu: cpuWith?.({}),
    });
    log(`  ${createAfterUpdates64.rate} msgs/s, p50 ${createAfterUpdates64.latencyMs.p50} ms`);
    if (createAfterUpdates64.cpu) log(`  CPU µs per publish ${JSON.stringify(createAfterUpdates64.cpu.usPerOp)}`);
    seqs.clear();
    const commandFloor64 = await measureCommandFloor(nats, names, natsUrl, `${prefix}.floor`, durationMs, log, cpuWith);
    return { inFlight1, inFlight64, commandFloor64, update64, createAfterUpdates64 };
  } finally {
    await nats.jsm.streams.delete(stream).catch(() => undefined);
  }
}

async function measureCommandFloor(
  nats: Nats,
  names: NatsNames,
  natsUrl: string,
  publishPrefix: string,
  durationMs: number,
  log: (s: string) => void,
  cpuWith?: (extra: Record<string, number | undefined>) => () => CpuSnapshot,
): Promise<LoadResult> {
  const subject = `${names.prefix}.benchfloor.request`;
  const script = fileURLToPath(new URL('./raw-responder.js', import.meta.url));
  const responder = spawn(process.execPath, [script, natsUrl, subject, publishPrefix], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [line] = (await Promise.race([
      once(responder.stdout, 'data'),
      once(responder, 'exit').then(() => {
        throw new Error('the raw responder exited before it was ready');
      }),
    ])) as [Buffer];
    if (!line.toString().startsWith('ready')) throw new Error(`the raw responder said ${line.toString().trim()}`);
    const campaignId = `floor-${randomUUID().slice(0, 8)}`;
    const op = (i: number) =>
      sendCommand(nats, names, 'kingdom.create', campaignId, `k${i}`, { name: `Kingdom ${i}` }, subject).then((r) =>
        r.ok ? undefined : r.error.code,
      );
    log('command floor: request/reply to a bare responder that publishes once, 64 in flight');
    const result = await closedLoop({
      concurrency: 64,
      durationMs,
      warmupMs: 1000,
      op,
      cpu: cpuWith?.({ 'raw responder': responder.pid }),
    });
    log(`  ${result.rate} req/s, p50 ${result.latencyMs.p50} ms, ${result.errors} errors`);
    if (result.cpu)
      log(
        `  CPU µs per request ${JSON.stringify(result.cpu.usPerOp)}, machine ${Math.round(result.cpu.busyShare * 100)}% busy`,
      );
    return result;
  } finally {
    responder.kill('SIGTERM');
    if (responder.exitCode === null) await once(responder, 'exit');
  }
}
