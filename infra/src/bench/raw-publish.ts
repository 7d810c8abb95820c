import { randomUUID } from 'node:crypto';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { eventStreamConfig, type Nats } from '@cm/platform';
import { Headers, type NatsNames } from '@cm/contracts';
import type { CpuSnapshot } from './cpu.js';
import { closedLoop, type LoadResult } from './load.js';

/**
 * A commit of realistic size (one KingdomCreated event with full metadata, ~450 bytes of JSON), so the raw
 * numbers compare with what the command service writes.
 */
function sampleCommit(i: number): Uint8Array {
  const commitId = randomUUID();
  return new TextEncoder().encode(
    JSON.stringify({
      commitId,
      events: [
        {
          id: `${commitId}:0`,
          type: 'KingdomCreated',
          schemaVersion: 1,
          campaignId: 'bench',
          branchId: 'main',
          entityType: 'kingdom',
          entityId: `k${i}`,
          aggregateVersion: 1,
          data: { name: `Kingdom ${i}` },
          metadata: { commandId: randomUUID(), correlationId: randomUUID(), causationId: null, userId: 'bench-user', occurredAt: new Date().toISOString() },
        },
      ],
    }),
  );
}

/**
 * The raw limit of the event log on this machine: publish-with-ack to a throwaway stream configured exactly like
 * the event stream, each message as the command service sends a create (its own subject, `Nats-Msg-Id`,
 * expected last subject sequence 0). Measured with one publish in flight and with 64 pipelined.
 */
export async function measureRawPublish(nats: Nats, names: NatsNames, durationMs: number, log: (s: string) => void, cpu?: () => CpuSnapshot): Promise<{ inFlight1: LoadResult; inFlight64: LoadResult }> {
  const stream = `${names.eventStream.replace(/_EVENTS$/, '')}_BENCHRAW`;
  const prefix = `${names.prefix}.benchraw`;
  await nats.jsm.streams.add({ ...eventStreamConfig(names, { replicas: 1, duplicateWindowMs: 120_000 }), name: stream, subjects: [`${prefix}.>`] });
  try {
    const op = async (i: number) => {
      const h = natsHeaders();
      h.set(Headers.CorrelationId, randomUUID());
      await nats.js.publish(`${prefix}.bench.main.kingdom.k${i}`, sampleCommit(i), { msgID: randomUUID(), headers: h, expect: { lastSubjectSequence: 0 } });
    };
    log('raw JetStream publish, 1 in flight');
    const inFlight1 = await closedLoop({ concurrency: 1, durationMs, warmupMs: 500, op });
    log(`  ${inFlight1.rate} msgs/s, p50 ${inFlight1.latencyMs.p50} ms`);
    log('raw JetStream publish, 64 in flight');
    const inFlight64 = await closedLoop({ concurrency: 64, durationMs, warmupMs: 500, op, firstIndex: 10_000_000, cpu });
    log(`  ${inFlight64.rate} msgs/s, p50 ${inFlight64.latencyMs.p50} ms`);
    if (inFlight64.cpu) log(`  CPU µs per publish ${JSON.stringify(inFlight64.cpu.usPerOp)}, machine ${Math.round(inFlight64.cpu.busyShare * 100)}% busy`);
    return { inFlight1, inFlight64 };
  } finally {
    await nats.jsm.streams.delete(stream).catch(() => undefined);
  }
}
