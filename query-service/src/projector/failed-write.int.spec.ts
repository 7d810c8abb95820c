import { natsNames } from '@cm/contracts';
import { createMetrics, ensureEventStream, type Nats } from '@cm/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestNats, connectTestNats, dropNamespace, testNamespace, until } from '@cm/testkit';
import type { Database } from '../read-model/database.js';
import { event, publishCommit } from './events.test-util.js';
import { jetStreamHistory } from './event-history.js';
import { dropSchema, openTestDatabase, testConfig, testLogger } from './int-support.test-util.js';
import { startProjection, type Projector, type ProjectionSink } from './postgres-projector.js';
import type { SequencedEvent } from './postgres.projection.js';
import { POSTGRES_PROJECTION, ProjectionWriter } from './projection-writer.js';

/*
 * A batch is acked only once its write committed, and a write that fails (with later messages already delivered to
 * the runner) is retried from the checkpoint, every event applied once and in stream order. The sink is the real
 * Postgres writer on the real stream; the wrapper only holds writes back, records what it was asked, and fails one
 * write once. (Written for a runner that read the next batch while writing, tried and not kept: docs/perf.md.)
 */

const ns = testNamespace();
const names = natsNames(ns);
const schema = `rm_${ns}`;
const C = 'c1';
const COMMITS = 60;
let nats: Nats;
let db: Database;
let projector: Projector | undefined;

interface Call {
  expected: number;
  first: number;
  last: number;
  /** The consumer's ack floor when the write began. */
  ackFloor: number;
  ok: boolean;
}

/** The real writer, one write of which fails once (after the writes before it), every write held until released. */
class RecordingSink implements ProjectionSink {
  readonly projection = POSTGRES_PROJECTION;
  readonly calls: Call[] = [];
  private release: () => void = () => undefined;
  private gate: Promise<void> = new Promise((resolve) => (this.release = resolve));

  constructor(
    private readonly inner: ProjectionWriter,
    private readonly failAt: number,
  ) {}

  checkpoint(): Promise<number> {
    return this.inner.checkpoint();
  }

  /** Lets the held writes through. */
  open(): void {
    this.release();
  }

  async apply(events: readonly SequencedEvent[], opts: { expectedCheckpoint: number }) {
    const info = await nats.jsm.consumers.info(names.eventStream, names.projectionConsumer(this.projection));
    const call: Call = {
      expected: opts.expectedCheckpoint,
      first: events[0]!.seq,
      last: events.at(-1)!.seq,
      ackFloor: info.ack_floor.stream_seq,
      ok: false,
    };
    this.calls.push(call);
    await this.gate;
    if (this.calls.length === this.failAt + 1)
      throw Object.assign(new Error('connection reset while writing'), { code: 'ECONNRESET' });
    const result = await this.inner.apply(events, opts);
    call.ok = true;
    return result;
  }
}

beforeAll(async () => {
  nats = await connectTestNats('failed-write-test');
  await ensureEventStream(nats.jsm, names, { replicas: 1, duplicateWindowMs: 120_000 });
  db = await openTestDatabase(ns, schema);
});

afterAll(async () => {
  await projector?.stop();
  if (db) {
    await dropSchema(db.sql, schema);
    await db.close();
  }
  if (nats) await dropNamespace(nats, names);
  await closeTestNats(nats);
});

describe('a projection runner whose write fails', () => {
  it('acks a batch only after its write, and retries a failed write in order, each event applied once', async () => {
    let head = 0;
    for (let i = 0; i < COMMITS; i += 1)
      head = await publishCommit(nats, names, [
        event('KingdomCreated', { name: `Kingdom ${i}` }, { campaignId: C, entityId: `k${i}` }),
      ]);
    // The second write fails: the first has committed, and the consumer has delivered more than the batch.
    const sink = new RecordingSink(new ProjectionWriter(db, jetStreamHistory(nats, names)), 1);
    const config = testConfig(ns, schema, { PROJECTOR_LEASE_TTL_MS: '3000', PROJECTOR_BATCH_SIZE: '10' });
    projector = await startProjection(
      { config, logger: testLogger(), nats, names, registry: createMetrics('failed-write-test') },
      sink,
      'projector',
    );
    await until('the first write', () => sink.calls.length > 0 || undefined);
    expect(await db.readModel.checkpoint(POSTGRES_PROJECTION)).toBe(0);
    sink.open();
    await until(
      `checkpoint ${head}`,
      async () => (await db.readModel.checkpoint(POSTGRES_PROJECTION)) === head || undefined,
    );

    const failed = sink.calls.filter((c) => !c.ok);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.expected).toBeGreaterThan(0); // the write that failed came after one that committed
    // Every write began at its checkpoint, with nothing past the checkpoint acked.
    for (const c of sink.calls) {
      expect(c.first).toBe(c.expected + 1);
      expect(c.ackFloor).toBeLessThanOrEqual(c.expected);
    }
    // The writes that committed cover the stream once, in order: the failed batch again, then the rest.
    const committed = sink.calls.filter((c) => c.ok);
    let at = 0;
    for (const c of committed) {
      expect(c.expected).toBe(at);
      at = c.last;
    }
    expect(at).toBe(head);
    const [kingdoms] = await db.readModel.kingdomsByScopes([{ campaignId: C, branchId: 'main' }]);
    expect(kingdoms).toHaveLength(COMMITS);
    await until('the whole stream acked', async () => {
      const info = await nats.jsm.consumers.info(names.eventStream, names.projectionConsumer(POSTGRES_PROJECTION));
      return info.ack_floor.stream_seq === head || undefined;
    });
  }, 60_000);
});
