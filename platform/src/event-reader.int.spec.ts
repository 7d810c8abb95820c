import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { natsNames } from '@cm/contracts';
import { LOCAL_DEFAULTS } from './config.js';
import { readStream, type StreamCommit } from './event-reader.js';
import { closeNats, connectNats, type Nats } from './nats.js';
import { ensureEventStream } from './nats-resources.js';

// Bounded reads of the event stream against the NATS server on this machine, on a stream of its own: a range of one
// subject among others, in order, across more batches than one; nothing for an empty subject; no consumer left.
const names = natsNames(`r${randomBytes(5).toString('hex')}`);
const hot = `${names.prefix}.evt.c1.main.kingdom.hot`;
const other = `${names.prefix}.evt.c1.main.kingdom.other`;
/** More commits than one batch of the reader (500), so that the read has to release the next batch. */
const HOT = 1_234;
let nats: Nats;
const hotSeqs: number[] = [];

const commit = (i: number) =>
  JSON.stringify({
    commitId: `c${i}`,
    events: [
      {
        id: `c${i}:0`,
        type: 'KingdomRenamed',
        schemaVersion: 1,
        campaignId: 'c1',
        branchId: 'main',
        entityType: 'kingdom',
        entityId: 'hot',
        aggregateVersion: i + 1,
        data: { name: `n${i}` },
        metadata: { commandId: `k${i}`, correlationId: `k${i}`, causationId: `k${i}`, userId: 'u', occurredAt: '' },
      },
    ],
  });

async function read(range: Parameters<typeof readStream>[2], stopAfter = Number.POSITIVE_INFINITY) {
  const out: StreamCommit[] = [];
  for await (const c of readStream(nats, names.eventStream, range)) {
    out.push(c);
    if (out.length >= stopAfter) break;
  }
  return out;
}

async function consumerCount(): Promise<number> {
  return (await nats.jsm.streams.info(names.eventStream)).state.consumer_count;
}

beforeAll(async () => {
  nats = await connectNats(process.env.NATS_URL ?? LOCAL_DEFAULTS.NATS_URL, 'reader-test', pino({ level: 'silent' }));
  await ensureEventStream(nats.jsm, names, { replicas: 1, duplicateWindowMs: 120_000 });
  for (let i = 0; i < HOT; i += 1) {
    const [a] = await Promise.all([nats.js.publish(hot, commit(i)), nats.js.publish(other, commit(i))]);
    hotSeqs.push(a.seq);
  }
});

afterAll(async () => {
  await nats.jsm.streams.delete(names.eventStream).catch(() => undefined);
  await closeNats(nats);
});

describe('readStream, bounded', () => {
  it('reads one subject in order from a sequence to the end, across batches', async () => {
    const all = await read({ filter: hot, batch: 500 });
    expect(all.map((c) => c.seq)).toEqual(hotSeqs);
    expect(all.every((c) => c.subject === hot)).toBe(true);
    expect(all.map((c) => c.commit.commitId)).toEqual(hotSeqs.map((_, i) => `c${i}`));
    expect(Date.parse(all[0]!.time)).toBeLessThanOrEqual(Date.parse(all.at(-1)!.time));

    const middle = await read({ filter: hot, fromSeq: hotSeqs[600]!, toSeq: hotSeqs[700]!, batch: 7 });
    expect(middle.map((c) => c.seq)).toEqual(hotSeqs.slice(600, 701));
  });

  it('gives a page of exactly what the caller takes, and nothing for a subject without messages', async () => {
    const page = await read({ filter: hot, batch: 21 }, 21);
    expect(page.map((c) => c.seq)).toEqual(hotSeqs.slice(0, 21));
    expect(await read({ filter: `${names.prefix}.evt.c1.main.kingdom.none` })).toEqual([]);
    expect(await read({ filter: hot, fromSeq: hotSeqs.at(-1)! + 10_000 })).toEqual([]);
  });

  it('leaves no consumer on the stream once its reads are done', async () => {
    await read({ filter: hot, batch: 21 }, 5);
    await read({ filter: other, batch: 500 });
    // The deletes are sent as each read ends, not awaited by it.
    for (let i = 0; i < 50 && (await consumerCount()) > 0; i += 1) await sleep(100);
    expect(await consumerCount()).toBe(0);
  });
});
