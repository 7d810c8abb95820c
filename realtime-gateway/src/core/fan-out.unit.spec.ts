import { describe, expect, it } from 'vitest';
import type { AnyEvent } from '@cm/contracts';
import { BoundedQueue } from './bounded-queue.js';
import { ConnectionLimits } from './limits.js';
import { Membership } from './membership.js';
import { campaignRoom, entityRoom, recipientsOf, roomsOf, Rooms } from './rooms.js';
import { updateFrame } from './sse-frames.js';
import { Subscriber, type Delivery, type Sink } from './subscriber.js';
import { makeUpdate, mergeUpdates, toPayload, type Update } from './update.js';

const event = (over: Partial<AnyEvent> & { type: AnyEvent['type']; data: any }, userId = 'gm'): AnyEvent =>
  ({
    id: 'c:0',
    schemaVersion: 1,
    campaignId: 'crown',
    branchId: 'main',
    entityType: 'kingdom',
    entityId: 'k1',
    aggregateVersion: 1,
    metadata: { commandId: 'x', correlationId: 'x', causationId: 'x', userId, occurredAt: '2026-01-01T00:00:00.000Z' },
    ...over,
  }) as AnyEvent;

const update = (
  seq: number,
  over: Partial<AnyEvent> & { type: AnyEvent['type']; data: any } = {
    type: 'KingdomRenamed',
    data: { name: `n${seq}` },
  },
): Update => makeUpdate(toPayload(event(over), seq), 0);

class RecordingSink implements Sink {
  batches: Delivery[][] = [];
  closed: string | undefined;
  accept = true;
  send(batch: Delivery[]): boolean {
    if (!this.accept) return false;
    this.batches.push(batch);
    return true;
  }
  close(reason: string): void {
    this.closed = reason;
  }
  seqs(): number[] {
    return this.batches.flat().map((d) => d.update.payload.seq);
  }
}

function subscriber(opts: Partial<ConstructorParameters<typeof Subscriber>[0]> = {}, sink = new RecordingSink()) {
  const dirty: Subscriber[] = [];
  const s = new Subscriber(
    {
      userId: 'gm',
      room: campaignRoom('crown', 'main'),
      campaignId: 'crown',
      types: undefined,
      coalesce: false,
      resumeAfter: undefined,
      maxHeld: 100,
      ...opts,
    },
    sink,
    { onDirty: (x) => dirty.push(x), onClose: () => undefined },
  );
  return { s, sink, dirty };
}

describe('payload', () => {
  it('carries type, entity, new state, changes, who and when, and the seq', () => {
    expect(
      toPayload(
        event({ type: 'SettlementLevelSet', entityType: 'settlement', entityId: 's1', data: { level: 3 } }),
        42,
      ),
    ).toEqual({
      seq: 42,
      firstSeq: 42,
      type: 'SettlementLevelSet',
      campaignId: 'crown',
      branchId: 'main',
      entityType: 'settlement',
      entityId: 's1',
      state: { level: 3 },
      changes: ['level'],
      updatedBy: 'gm',
      at: '2026-01-01T00:00:00.000Z',
    });
    expect(toPayload(event({ type: 'KingdomDeleted', data: {} }), 7)).toMatchObject({
      state: null,
      changes: ['deleted'],
    });
  });

  it('merges later into earlier: latest state per field, changes accumulate, both seq ranges covered', () => {
    const a = update(1, { type: 'StructureLevelSet', entityType: 'structure', data: { level: 1 } });
    const b = update(3, { type: 'StructureConditionSet', entityType: 'structure', data: { condition: 50 } });
    const c = update(5, { type: 'StructureLevelSet', entityType: 'structure', data: { level: 2 } });
    expect(mergeUpdates(mergeUpdates(a, b), c).payload).toMatchObject({
      seq: 5,
      firstSeq: 1,
      state: { level: 2, condition: 50 },
      changes: ['level', 'condition'],
    });
    expect(
      mergeUpdates(a, update(6, { type: 'StructureDeleted', entityType: 'structure', data: { settlementId: 's' } }))
        .payload,
    ).toMatchObject({ state: null, changes: ['deleted'], firstSeq: 1 });
  });

  it('encodes an SSE frame once and shares the bytes', () => {
    const u = update(9);
    expect(updateFrame(u, true)).toBe(updateFrame(u, true));
    expect(updateFrame(u, true).toString()).toBe(`id: 9\ndata: ${JSON.stringify(u.payload)}\n\n`);
    expect(updateFrame(u, false).toString()).toBe(`data: ${JSON.stringify(u.payload)}\n\n`);
  });
});

describe('rooms and fan-out', () => {
  const membership = new Membership();
  membership.set('crown', 'gm', 'owner');
  membership.set('other', 'gm', 'owner');

  it('routes an event to its campaign room and its entity room only', () => {
    const rooms = new Rooms<Subscriber>();
    const inCampaign = subscriber().s;
    const onEntity = subscriber({ room: entityRoom('kingdom', 'k1', 'main'), campaignId: undefined }).s;
    const otherBranch = subscriber({ room: campaignRoom('crown', 'alt') }).s;
    const otherEntity = subscriber({ room: entityRoom('kingdom', 'k2', 'main') }).s;
    [inCampaign, onEntity, otherBranch, otherEntity].forEach((s) => rooms.join(s));
    expect(roomsOf(update(1).payload)).toEqual(['campaign:crown:main', 'kingdom:k1:main']);
    expect(recipientsOf(update(1), rooms, membership)).toEqual([inCampaign, onEntity]);
    rooms.leave(onEntity);
    expect(recipientsOf(update(2), rooms, membership)).toEqual([inCampaign]);
  });

  it('filters by type, by campaign and by current membership', () => {
    const rooms = new Rooms<Subscriber>();
    const typed = subscriber({ types: new Set(['KingdomCreated']) }).s;
    const stranger = subscriber({ userId: 'stranger' }).s;
    const entityAnyCampaign = subscriber({ room: entityRoom('kingdom', 'k1', 'main'), campaignId: undefined }).s;
    [typed, stranger, entityAnyCampaign].forEach((s) => rooms.join(s));
    expect(recipientsOf(update(1), rooms, membership)).toEqual([entityAnyCampaign]);
    expect(recipientsOf(update(2, { type: 'KingdomCreated', data: { name: 'x' } }), rooms, membership)).toEqual([
      typed,
      entityAnyCampaign,
    ]);
    // The same entity id in a campaign the subscriber is not a member of stays invisible to it.
    const elsewhere = update(3, { type: 'KingdomRenamed', campaignId: 'secret', data: { name: 'x' } });
    expect(recipientsOf(elsewhere, rooms, membership)).toEqual([]);
  });
});

describe('subscriber', () => {
  it('delivers live events one by one, each with its id', () => {
    const { s, sink } = subscriber();
    s.offer(update(1));
    s.offer(update(2));
    expect(sink.batches).toEqual([
      [{ update: expect.anything(), withId: true }],
      [{ update: expect.anything(), withId: true }],
    ]);
    expect(sink.seqs()).toEqual([1, 2]);
  });

  it('hands over from replay to live by sequence: replayed first, held live ones after, nothing at or below the resume point', () => {
    const { s, sink } = subscriber({ resumeAfter: 10 });
    expect(s.state).toBe('replaying');
    s.offer(update(21));
    s.replay([update(9)]);
    s.replay([update(12)]);
    s.offer(update(22));
    s.replay([update(20)]);
    expect(sink.seqs()).toEqual([12, 20]);
    s.goLive();
    s.offer(update(23));
    expect(sink.seqs()).toEqual([12, 20, 21, 22, 23]);
  });

  it('closes with SLOW_CONSUMER when too many live events pile up during a replay', () => {
    const { s, sink } = subscriber({ resumeAfter: 0, maxHeld: 2 });
    [1, 2, 3].forEach((n) => s.offer(update(n)));
    expect(sink.closed).toBe('SLOW_CONSUMER');
    expect(s.state).toBe('closed');
  });

  it('closes with SLOW_CONSUMER when its sink refuses a batch', () => {
    const { s, sink } = subscriber();
    sink.accept = false;
    s.offer(update(1));
    expect(sink.closed).toBe('SLOW_CONSUMER');
  });

  it('coalesces by entity until flushed: latest state wins, first and last seq kept, id only on the window’s last message', () => {
    const { s, sink, dirty } = subscriber({ coalesce: true });
    s.offer(update(1));
    s.offer(update(2, { type: 'KingdomRenamed', entityId: 'k2', data: { name: 'b' } }));
    s.offer(update(3));
    expect(sink.batches).toEqual([]);
    expect(dirty.length).toBeGreaterThan(0);
    s.flush();
    const [batch] = sink.batches;
    expect(
      batch!.map((d) => [d.update.payload.entityId, d.update.payload.firstSeq, d.update.payload.seq, d.withId]),
    ).toEqual([
      ['k2', 2, 2, false],
      ['k1', 1, 3, true],
    ]);
    expect(batch![1]!.update.payload.state).toEqual({ name: 'n3' });
  });
});

describe('bounds', () => {
  it('a bounded queue refuses past its bytes or its messages', () => {
    const q = new BoundedQueue<string>(10, 3);
    expect([q.push('a', 4), q.push('b', 4), q.push('c', 4)]).toEqual([true, true, false]);
    expect(q.takeAll()).toEqual(['a', 'b']);
    expect([q.push('a', 1), q.push('b', 1), q.push('c', 1), q.push('d', 1)]).toEqual([true, true, true, false]);
  });

  it('connection limits per user and per process', () => {
    const limits = new ConnectionLimits(3, 2);
    expect([
      limits.acquire('a'),
      limits.acquire('a'),
      limits.acquire('a'),
      limits.acquire('b'),
      limits.acquire('c'),
    ]).toEqual(['ok', 'ok', 'user', 'ok', 'process']);
    limits.release('a');
    expect(limits.acquire('c')).toBe('ok');
  });

  it('membership follows member events', () => {
    const m = new Membership();
    m.apply(
      event({
        type: 'CampaignCreated',
        entityType: 'campaign',
        entityId: 'crown',
        data: { name: 'c', description: null, ownerId: 'gm' },
      }),
    );
    m.apply(
      event({ type: 'MemberAdded', entityType: 'campaign', entityId: 'crown', data: { userId: 'p', role: 'player' } }),
    );
    expect([m.isMember('crown', 'gm'), m.isMember('crown', 'p')]).toEqual([true, true]);
    expect(
      m.apply(event({ type: 'MemberRemoved', entityType: 'campaign', entityId: 'crown', data: { userId: 'p' } })),
    ).toEqual({ kind: 'removed', campaignId: 'crown', userId: 'p' });
    expect(m.isMember('crown', 'p')).toBe(false);
  });
});
