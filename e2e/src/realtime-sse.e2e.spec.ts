import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '@cm/infra';
import { signToken } from '@cm/platform';
import { inParallel, startRealtimeSystem, Writer } from './realtime.test-util.js';
import { SseReader } from './sse-client.test-util.js';

// Plain SSE against the real gateway process, fed by the real command service over the real NATS: what an
// EventSource in a browser gets, resumes included.
let system: System;
let secret: string;
let gateway: string;
let gm: Writer;
let gmToken: string;
const C1 = 'crown';
const C2 = 'other';
const open: SseReader[] = [];

const events = (q: string, headers: Record<string, string> = {}, token = gmToken) =>
  SseReader.open(`${gateway}/events?${q}`, { authorization: `Bearer ${token}`, ...headers }).then(
    (r) => (open.push(r), r),
  );
const seqs = (r: SseReader) => r.updates().map((u) => u.seq);

beforeAll(async () => {
  ({ system, secret, gateway } = await startRealtimeSystem());
  gm = await Writer.as(system, secret, 'gm');
  gmToken = await signToken(secret, 'gm');
  await gm.campaign(C1);
  await gm.campaign(C2);
  await gm.kingdom(C1, 'k1');
  await gm.kingdom(C2, 'k2');
  await gm.fork(C1, 'alt');
  await gm.kingdom(C1, 'k3', 'alt');
});

afterAll(async () => {
  open.forEach((r) => r.close());
  await system?.stop({ cleanup: true });
});

describe('plain SSE', () => {
  it('delivers the events of its campaign branch with id = seq, and nothing of other campaigns or branches', async () => {
    const r = await events(`campaign=${C1}&branch=main&coalesce=0`);
    expect(r.status).toBe(200);
    const mine = [await gm.rename(C1, 'k1', 'a')];
    await gm.rename(C2, 'k2', 'b');
    await gm.rename(C1, 'k3', 'c', 'alt');
    mine.push(await gm.rename(C1, 'k1', 'd'));
    await r.until((x) => seqs(x).length >= 2, 20_000, 'two updates');
    expect(seqs(r)).toEqual(mine);
    expect(r.messages.filter((m) => m.event === 'message').map((m) => Number(m.id))).toEqual(mine);
    const last = r.updates().at(-1)!;
    expect(last).toMatchObject({
      type: 'KingdomRenamed',
      campaignId: C1,
      branchId: 'main',
      entityType: 'kingdom',
      entityId: 'k1',
      state: { name: 'd' },
      changes: ['name'],
      updatedBy: 'gm',
    });
  });

  it('filters by event types and by entity', async () => {
    const byType = await events(`campaign=${C1}&types=KingdomCreated&coalesce=0`);
    const byEntity = await events(`campaign=${C1}&entity=kingdom:k1&coalesce=0`);
    await gm.rename(C1, 'k1', 'e');
    const created = await gm.kingdom(C1, 'k4');
    const renamed = await gm.rename(C1, 'k1', 'f');
    await byType.until((x) => seqs(x).length >= 1, 20_000, 'the created kingdom');
    await byEntity.until((x) => seqs(x).includes(renamed), 20_000, 'the k1 renames');
    expect(seqs(byType)).toEqual([created]);
    expect(byEntity.updates().every((u) => u.entityId === 'k1')).toBe(true);
  });

  it('coalesces by entity within the window: the latest state wins and the payload covers first and last seq', async () => {
    const r = await events(`campaign=${C1}`);
    const written = await inParallel(
      1,
      ['g', 'h', 'i'].map((n) => () => gm.rename(C1, 'k1', n)),
    );
    await r.until((x) => seqs(x).includes(written[2]!), 20_000, 'the last rename');
    const updates = r.updates<{ seq: number; firstSeq: number; state: { name: string } }>();
    // However the three fell into windows, together they cover exactly the written range and end on its state.
    expect(updates.at(-1)!.state.name).toBe('i');
    expect(updates[0]!.firstSeq).toBe(written[0]);
    expect(updates.map((u) => u.seq).at(-1)).toBe(written[2]);
  });

  it('resumes after Last-Event-ID with exactly the missed events of its rooms, in order, then live ones', async () => {
    const first = await events(`campaign=${C1}&coalesce=0`);
    const before = await gm.rename(C1, 'k1', 'before');
    await first.until((x) => seqs(x).includes(before), 20_000, 'the first rename');
    first.close();
    const expected: number[] = [];
    for (let i = 0; i < 500; i++) {
      const target = i % 3 === 0 ? C2 : C1;
      const seq = await gm.rename(target, target === C1 ? 'k1' : 'k2', `n${i}`);
      if (target === C1) expected.push(seq);
    }
    const resumed = await events(`campaign=${C1}&coalesce=0`, { 'last-event-id': String(before) });
    const live = await gm.rename(C1, 'k1', 'live');
    expected.push(live);
    await resumed.until((x) => seqs(x).includes(live), 30_000, 'the live rename');
    expect(seqs(resumed)).toEqual(expected);
    // The same through the query parameter EventSource users without header control can set.
    const viaQuery = await events(`campaign=${C1}&coalesce=0&lastEventId=${expected.at(-2)}`);
    await viaQuery.until((x) => seqs(x).length >= 1, 20_000, 'the last event');
    expect(seqs(viaQuery)).toEqual([live]);
  });

  it(
    'keeps every client gapless through random disconnects: 50 clients, 1,000 events',
    { timeout: 180_000 },
    async () => {
      const start = await gm.rename(C1, 'k1', 'start');
      const clients = Array.from({ length: 50 }, (_, i) => ({
        campaign: i % 2 ? C1 : C2,
        last: start,
        seqs: [] as number[],
        reader: undefined as SseReader | undefined,
        collected: 0,
      }));
      const connect = async (c: (typeof clients)[number]) => {
        c.reader = await events(`campaign=${c.campaign}&coalesce=0`, { 'last-event-id': String(c.last) });
        c.collected = 0;
      };
      const harvest = (c: (typeof clients)[number]) => {
        const fresh = c.reader ? seqs(c.reader).slice(c.collected) : [];
        c.collected += fresh.length;
        c.seqs.push(...fresh);
        if (c.seqs.length) c.last = c.seqs.at(-1)!;
      };
      await Promise.all(clients.map(connect));
      const expected: Record<string, number[]> = { [C1]: [], [C2]: [] };
      let written = 0;
      let seed = 7;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      while (written < 1000) {
        const batch = await inParallel(
          4,
          Array.from({ length: 50 }, (_, i) => async () => {
            const campaign = (written + i) % 2 ? C1 : C2;
            return { campaign, seq: await gm.rename(campaign, campaign === C1 ? 'k1' : 'k2', `r${written + i}`) };
          }),
        );
        written += batch.length;
        for (const { campaign, seq } of batch.sort((a, b) => a.seq - b.seq)) expected[campaign]!.push(seq);
        // A few clients drop their connection; they come back with the last seq they saw.
        for (const c of clients) {
          if (random() < 0.2) {
            harvest(c);
            c.reader!.close();
            await connect(c);
          }
        }
      }
      for (const c of clients) {
        const want = expected[c.campaign]!;
        await c.reader!.until(
          (r) =>
            (seqs(r).slice(c.collected).concat(c.seqs).length >= want.length && seqs(r).includes(want.at(-1)!)) ||
            c.last === want.at(-1),
          30_000,
          'every event',
        );
        harvest(c);
        expect(c.seqs).toEqual(want);
      }
    },
  );
});

describe('plain SSE errors and access', () => {
  const plain = (q: string, headers: Record<string, string> = {}) =>
    SseReader.open(`${gateway}/events?${q}`, headers).then((r) => (open.push(r), r));

  it('refuses unauthenticated, non-member and malformed requests with coded errors', async () => {
    const cases: [Promise<SseReader>, number, string][] = [
      [plain(`campaign=${C1}`), 401, 'UNAUTHENTICATED'],
      [plain(`campaign=${C1}`, { authorization: 'Bearer not-a-jwt' }), 401, 'UNAUTHENTICATED'],
      [plain(`campaign=${C1}&token=${await signToken(secret, 'stranger')}`), 403, 'FORBIDDEN'],
      [plain(`branch=main&token=${gmToken}`), 400, 'VALIDATION'],
      [plain(`campaign=${C1}&types=NoSuchEvent&token=${gmToken}`), 400, 'VALIDATION'],
      [plain(`campaign=${C1}&entity=kingdom&token=${gmToken}`), 400, 'VALIDATION'],
      [plain(`campaign=${C1}&token=${gmToken}`, { 'last-event-id': 'yesterday' }), 400, 'VALIDATION'],
    ];
    for (const [pending, status, code] of cases) {
      const r = await pending;
      await r.until((x) => x.ended, 10_000, 'the error body');
      expect([r.status, JSON.parse(r.body).error.code]).toEqual([status, code]);
    }
  });

  it('stops a removed member’s stream with MEMBERSHIP_REVOKED', async () => {
    await gm.addMember(C1, 'player');
    const playerToken = await signToken(secret, 'player');
    const r = await events(`campaign=${C1}&coalesce=0`, {}, playerToken);
    expect(r.status).toBe(200);
    const seen = await gm.rename(C1, 'k1', 'seen');
    await r.until((x) => seqs(x).includes(seen), 20_000, 'an event while a member');
    await gm.removeMember(C1, 'player');
    await r.until((x) => x.ended, 20_000, 'the end of the stream');
    expect(r.messages.at(-1)!.event).toBe('MEMBERSHIP_REVOKED');
    const again = await events(`campaign=${C1}`, {}, playerToken);
    await again.until((x) => x.ended, 10_000, 'the refusal');
    expect(again.status).toBe(403);
  });

  it('ends the stream when the token expires, saying so', async () => {
    const r = await events(`campaign=${C1}&coalesce=0`, {}, await signToken(secret, 'gm', '2s'));
    expect(r.status).toBe(200);
    await r.until((x) => x.ended, 20_000, 'the end of the stream');
    expect(r.messages.at(-1)!.event).toBe('TOKEN_EXPIRED');
  });
});

// Last: a retention limit drops the oldest events of the whole stream, campaigns' creations included.
describe('plain SSE after retention', () => {
  it('answers a sequence the stream no longer holds with RESUME_TOO_OLD, then follows live', async () => {
    const { connectNats, createLogger, LOCAL_DEFAULTS, closeNats } = await import('@cm/platform');
    const { natsNames } = await import('@cm/contracts');
    const nats = await connectNats(
      LOCAL_DEFAULTS.NATS_URL,
      'e2e',
      createLogger('e2e', { LOG_LEVEL: 'silent', NODE_ENV: 'test', LOG_FORMAT: 'json' }),
    );
    try {
      // The stream denies purges; a retention limit drops its oldest messages the way age or size would.
      const stream = natsNames(system.namespace).eventStream;
      for (let i = 0; i < 30; i++) await gm.rename(C1, 'k1', `old${i}`);
      const info = await nats.jsm.streams.update(stream, { max_msgs: 10 });
      expect(info.state.first_seq).toBeGreaterThan(2);
      const r = await events(`campaign=${C1}&coalesce=0`, { 'last-event-id': '1' });
      await r.until((x) => x.messages.some((m) => m.event === 'RESUME_TOO_OLD'), 20_000, 'RESUME_TOO_OLD');
      const live = await gm.rename(C1, 'k1', 'after-purge');
      await r.until((x) => seqs(x).includes(live), 20_000, 'the live event');
      expect(seqs(r)).toEqual([live]);
    } finally {
      await closeNats(nats);
    }
  });
});
