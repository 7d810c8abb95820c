import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AppError,
  encodeCommit,
  natsNames,
  type AnyEvent,
  type Command,
  type CommandPayload,
  type CommandType,
  type NatsNames,
} from '@cm/contracts';
import { closeNats, connectNats, createLogger, ensureEventStream, LOCAL_DEFAULTS, type Nats } from '@cm/platform';
import { CommandProcessor } from '../application/command-processor.js';
import { createRepository } from './create-repository.js';
import { WrongExpectedSequence } from './event-store.port.js';
import { JetStreamEventStore } from './jetstream.event-store.js';

// Real NATS, a stream of our own per test file: isolated by namespace, deleted afterwards.
const logger = createLogger('event-store-test', { NODE_ENV: 'test', LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
let nats: Nats;
let names: NatsNames;
let store: JetStreamEventStore;

beforeAll(async () => {
  names = natsNames(`t${randomBytes(5).toString('hex')}`);
  nats = await connectNats(process.env.NATS_URL ?? LOCAL_DEFAULTS.NATS_URL, 'event-store-test', logger);
  await ensureEventStream(nats.jsm, names, { replicas: 1, duplicateWindowMs: 120_000 });
  store = new JetStreamEventStore(nats, names);
});

afterAll(async () => {
  await nats?.jsm.streams.delete(names.eventStream).catch(() => undefined);
  await closeNats(nats);
});

/** A processor with its own aggregate cache: what one command-service instance is. */
const instance = (retries = 5) => new CommandProcessor(createRepository(store, 1000), retries, logger);

let counter = 0;
function cmd<T extends CommandType>(
  type: T,
  campaignId: string,
  aggregateId: string,
  payload: CommandPayload<T>,
  over: Partial<Command> = {},
): Command {
  counter += 1;
  return {
    commandId: `cmd-${counter}-${randomBytes(4).toString('hex')}`,
    type,
    campaignId,
    branchId: 'main',
    aggregateId,
    payload,
    actor: { userId: 'owner' },
    correlationId: `corr-${counter}`,
    issuedAt: new Date().toISOString(),
    ...over,
  } as Command;
}

async function newCampaign(p: CommandProcessor): Promise<string> {
  const id = `camp${randomBytes(4).toString('hex')}`;
  await p.process(cmd('campaign.create', id, id, { name: 'Test campaign' }));
  return id;
}

const codeOf = (e: unknown) => (e instanceof AppError ? e.code : String(e));

describe('JetStream event store', () => {
  it('lets exactly one of several appends at the same expected sequence through', async () => {
    const address = { campaignId: 'race', branchId: 'main', entityType: 'kingdom', entityId: 'k' } as const;
    const commit = (i: number) => ({ commitId: `c${i}`, events: [] });
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        store.append(
          address,
          commit(i),
          { lastSeq: 0, earlierSeqs: [], complete: true },
          { commandId: `race-${i}`, correlationId: 'corr' },
        ),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(7);
    for (const r of lost) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedSequence);
    expect(await store.read(address)).toHaveLength(1);
  });

  it('gives concurrent writers on separate instances a consistent history; losers past the retries get CONFLICT', async () => {
    const setup = instance();
    const campaignId = await newCampaign(setup);
    await setup.process(cmd('kingdom.create', campaignId, 'k1', { name: 'K-0' }));

    // One attempt each, and every instance has already folded k1 (a no-op rename fills its cache), so all
    // decide on the same state and race for the same expected sequence: exactly one can win.
    const writers = Array.from({ length: 6 }, () => instance(1));
    for (const w of writers) await w.process(cmd('kingdom.rename', campaignId, 'k1', { name: 'K-0' }));
    const outcomes = await Promise.allSettled(
      writers.map((w, i) => w.process(cmd('kingdom.rename', campaignId, 'k1', { name: `K-${i + 1}` }))),
    );
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(5);
    for (const f of failed) expect(codeOf(f.reason)).toBe('CONFLICT');

    const history = await store.read({ campaignId, branchId: 'main', entityType: 'kingdom', entityId: 'k1' });
    const versions = history.flatMap((c) => c.events.map((e) => e.aggregateVersion));
    expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => i + 1));
    expect(history).toHaveLength(1 + ok.length);
  });

  it('with retries, every concurrent writer eventually lands, each exactly once and in version order', async () => {
    const setup = instance();
    const campaignId = await newCampaign(setup);
    await setup.process(cmd('kingdom.create', campaignId, 'k1', { name: 'start' }));
    const writers = Array.from({ length: 4 }, () => instance(20));
    const replies = await Promise.all(
      writers.map((w, i) => w.process(cmd('kingdom.rename', campaignId, 'k1', { name: `name-${i}` }))),
    );
    const history = await store.read({ campaignId, branchId: 'main', entityType: 'kingdom', entityId: 'k1' });
    expect(history).toHaveLength(5);
    expect(new Set(replies.map((r) => r.seq)).size).toBe(4);
    expect(history.map((c) => c.events[0]!.aggregateVersion)).toEqual([1, 2, 3, 4, 5]);
  });

  it('answers a retried command id with the first result and writes one commit, also from another instance', async () => {
    const a = instance();
    const campaignId = await newCampaign(a);
    const create = cmd('kingdom.create', campaignId, 'kdup', { name: 'Once' });
    const first = await a.process(create);
    const again = await a.process(create);
    const elsewhere = await instance().process(create);
    // Concurrent retries of a fresh id from fresh instances race into JetStream's de-duplication.
    const rename = cmd('kingdom.rename', campaignId, 'kdup', { name: 'Twice?' });
    const burst = await Promise.all([instance(), instance(), instance()].map((p) => p.process(rename)));

    expect(first.duplicate).toBeUndefined();
    for (const r of [again, elsewhere])
      expect(r).toMatchObject({ seq: first.seq, commitId: first.commitId, aggregateVersion: 1, duplicate: true });
    expect(new Set(burst.map((r) => r.seq)).size).toBe(1);
    expect(new Set(burst.map((r) => r.commitId)).size).toBe(1);
    const history = await store.read({ campaignId, branchId: 'main', entityType: 'kingdom', entityId: 'kdup' });
    expect(history.map((c) => c.events.map((e) => e.type))).toEqual([['KingdomCreated'], ['KingdomRenamed']]);
  });

  it('reads a forked branch as the parent up to the fork, then its own events', async () => {
    const p = instance();
    const campaignId = await newCampaign(p);
    await p.process(cmd('kingdom.create', campaignId, 'k1', { name: 'Before fork' }));
    const fork = await p.process(cmd('branch.fork', campaignId, 'alt', { parentBranchId: 'main', name: 'Alternate' }));
    await p.process(cmd('kingdom.rename', campaignId, 'k1', { name: 'Main after fork' }));
    await p.process(cmd('kingdom.create', campaignId, 'k2', { name: 'Only in main' }));
    const renamed = await p.process(
      cmd('kingdom.rename', campaignId, 'k1', { name: 'Alt after fork' }, { branchId: 'alt' }),
    );

    // A fresh instance folds from the log alone, with no cache.
    const repo = createRepository(store, 100);
    const { deciders } = await import('../domain/index.js');
    const inAlt = await repo.load(deciders.kingdom, {
      campaignId,
      branchId: 'alt',
      entityType: 'kingdom',
      entityId: 'k1',
    });
    const inMain = await repo.load(deciders.kingdom, {
      campaignId,
      branchId: 'main',
      entityType: 'kingdom',
      entityId: 'k1',
    });
    const k2InAlt = await repo.load(deciders.kingdom, {
      campaignId,
      branchId: 'alt',
      entityType: 'kingdom',
      entityId: 'k2',
    });
    expect(inAlt.state).toMatchObject({ name: 'Alt after fork' });
    expect(inAlt.version).toBe(2);
    expect(renamed.aggregateVersion).toBe(2);
    expect(inMain.state).toMatchObject({ name: 'Main after fork' });
    expect(k2InAlt.version).toBe(0);

    // A fork of the fork at an explicit earlier sequence sees neither branch's later changes.
    const nested = await p.process(
      cmd('branch.fork', campaignId, 'alt2', { parentBranchId: 'alt', name: 'Nested', atSeq: fork.seq }),
    );
    const inNested = await createRepository(store, 100).load(deciders.kingdom, {
      campaignId,
      branchId: 'alt2',
      entityType: 'kingdom',
      entityId: 'k1',
    });
    expect(nested.ok).toBe(true);
    expect(inNested.state).toMatchObject({ name: 'Before fork' });
    expect(inNested.version).toBe(1);
  });

  it('decides from the log alike with no aggregate cache and with one smaller than the working set', async () => {
    const { deciders } = await import('../domain/index.js');
    for (const cacheSize of [0, 2]) {
      const p = new CommandProcessor(createRepository(store, cacheSize), 5, logger);
      const campaignId = await newCampaign(p);
      const ids = ['k1', 'k2', 'k3', 'k4'];
      for (const id of ids) await p.process(cmd('kingdom.create', campaignId, id, { name: `${id}-0` }));
      for (const round of [1, 2])
        for (const id of ids) await p.process(cmd('kingdom.rename', campaignId, id, { name: `${id}-${round}` }));
      const again = await p
        .process(cmd('kingdom.create', campaignId, 'k1', { name: 'Again' }))
        .catch((e: unknown) => e);
      expect(codeOf(again)).toBe('ALREADY_EXISTS');
      const fresh = createRepository(store, 100);
      for (const id of ids) {
        const loaded = await fresh.load(deciders.kingdom, {
          campaignId,
          branchId: 'main',
          entityType: 'kingdom',
          entityId: id,
        });
        expect([loaded.state, loaded.version]).toMatchObject([{ name: `${id}-2` }, 3]);
      }
    }
  });

  it('refuses to create what exists, from a cold instance and through a branch lineage', async () => {
    const p = instance();
    const campaignId = await newCampaign(p);
    await p.process(cmd('kingdom.create', campaignId, 'k1', { name: 'Original' }));
    await p.process(cmd('branch.fork', campaignId, 'alt', { parentBranchId: 'main', name: 'Alt' }));
    // A cold instance with a single attempt: the create is tried as new, fails the expectation, and is decided again.
    const cold = await instance(1)
      .process(cmd('kingdom.create', campaignId, 'k1', { name: 'Again' }))
      .catch((e: unknown) => e);
    const inBranch = await instance(1)
      .process(cmd('kingdom.create', campaignId, 'k1', { name: 'Again' }, { branchId: 'alt' }))
      .catch((e: unknown) => e);
    const campaignAgain = await instance(1)
      .process(cmd('campaign.create', campaignId, campaignId, { name: 'Again' }))
      .catch((e: unknown) => e);
    expect([codeOf(cold), codeOf(inBranch), codeOf(campaignAgain)]).toEqual([
      'ALREADY_EXISTS',
      'ALREADY_EXISTS',
      'ALREADY_EXISTS',
    ]);
    const history = await store.read({ campaignId, branchId: 'main', entityType: 'kingdom', entityId: 'k1' });
    expect(history).toHaveLength(1);
  });

  it('refuses a fork point before the campaign began or after the stream head, and forks at either end', async () => {
    const p = instance();
    await newCampaign(p); // so that the campaign under test does not begin at the stream's first sequence
    const campaignId = `camp${randomBytes(4).toString('hex')}`;
    const created = await p.process(cmd('campaign.create', campaignId, campaignId, { name: 'Late campaign' }));
    await p.process(cmd('kingdom.create', campaignId, 'k1', { name: 'Kingdom' }));
    const fork = (id: string, atSeq: number) =>
      p.process(cmd('branch.fork', campaignId, id, { parentBranchId: 'main', name: id, atSeq }));

    const early = await fork('early', 1).catch((e: unknown) => e);
    const justBefore = await fork('before', created.seq - 1).catch((e: unknown) => e);
    const { last_seq: head } = (await nats.jsm.streams.info(names.eventStream)).state;
    const late = await fork('late', head + 1000).catch((e: unknown) => e);
    expect([codeOf(early), codeOf(justBefore), codeOf(late)]).toEqual(['VALIDATION', 'VALIDATION', 'VALIDATION']);
    expect((early as AppError).message).toMatch(`the campaign begins at ${created.seq}`);

    expect((await fork('first', created.seq)).ok).toBe(true);
    expect((await fork('head', head)).ok).toBe(true);
  });

  it('reads commits written before they listed the earlier ones, and the ones after', async () => {
    const p = instance();
    const campaignId = await newCampaign(p);
    const address = { campaignId, branchId: 'main', entityType: 'kingdom', entityId: 'old' } as const;
    const subject = names.eventSubject(address);
    const event = (type: 'KingdomCreated' | 'KingdomRenamed', version: number, name: string): AnyEvent =>
      ({
        id: `legacy-${version}:0`,
        type,
        schemaVersion: 1,
        ...address,
        aggregateVersion: version,
        data: { name },
        metadata: {
          commandId: `legacy-${version}-${campaignId}`,
          correlationId: 'c',
          causationId: 'c',
          userId: 'owner',
          occurredAt: new Date().toISOString(),
        },
      }) as AnyEvent;
    // Two commits as an older build wrote them (no previous-sequence header), with another subject between them.
    const first = await nats.js.publish(
      subject,
      encodeCommit({ commitId: 'legacy-1', events: [event('KingdomCreated', 1, 'v1')] }),
      { expect: { lastSubjectSequence: 0 } },
    );
    await p.process(cmd('kingdom.create', campaignId, 'between', { name: 'Between' }));
    await nats.js.publish(subject, encodeCommit({ commitId: 'legacy-2', events: [event('KingdomRenamed', 2, 'v2')] }), {
      expect: { lastSubjectSequence: first.seq },
    });
    await instance().process(cmd('kingdom.rename', campaignId, 'old', { name: 'v3' }));
    await instance().process(cmd('kingdom.rename', campaignId, 'old', { name: 'v4' }));

    const history = await store.read(address);
    expect(history.map((c) => c.events[0]!.aggregateVersion)).toEqual([1, 2, 3, 4]);
    expect(history.map((c) => c.seq)).toEqual([...history.map((c) => c.seq)].sort((a, b) => a - b));
    expect(await store.read(address, history[2]!.seq)).toEqual(history.slice(0, 3));
    const { deciders } = await import('../domain/index.js');
    const loaded = await createRepository(store, 0).load(deciders.kingdom, address);
    expect([loaded.state, loaded.version, loaded.lastSeq]).toMatchObject([{ name: 'v4' }, 4, history[3]!.seq]);
  });

  it('reads a history longer than one commit lists, interleaved with other subjects, with and without a cache', async () => {
    for (const cacheSize of [0, 1000]) {
      const p = new CommandProcessor(createRepository(store, cacheSize), 5, logger);
      const campaignId = await newCampaign(p);
      const address = { campaignId, branchId: 'main', entityType: 'kingdom', entityId: 'long' } as const;
      await p.process(cmd('kingdom.create', campaignId, 'long', { name: 'v1' }));
      for (let v = 2; v <= 20; v += 1) {
        await p.process(cmd('kingdom.rename', campaignId, 'long', { name: `v${v}` }));
        await p.process(cmd('kingdom.create', campaignId, `other${v}`, { name: 'Other' }));
      }
      const history = await store.read(address);
      expect(history.map((c) => c.events[0]!.aggregateVersion)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await store.read(address, history[9]!.seq)).toEqual(history.slice(0, 10));
      const { deciders } = await import('../domain/index.js');
      const loaded = await createRepository(store, 0).load(deciders.kingdom, address);
      expect([loaded.state, loaded.version]).toMatchObject([{ name: 'v20' }, 20]);
    }
  });

  it('refuses commands in a branch that does not exist', async () => {
    const p = instance();
    const campaignId = await newCampaign(p);
    const err = await p
      .process(cmd('kingdom.create', campaignId, 'k1', { name: 'x' }, { branchId: 'nope' }))
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('NOT_FOUND');
  });

  it('checks a field condition against siblings another instance changed after this one cached them', async () => {
    const [a, b] = [instance(), instance()];
    const campaignId = await newCampaign(a);
    const define = (id: string, field: string, reads: string, active = true) =>
      cmd('field-condition.define', campaignId, id, {
        entityType: 'settlement',
        field,
        expression: { var: `computed.${reads}` },
        priority: 0,
        active,
      });
    await a.process(define('fc-x', 'x', 'y', false)); // a now holds fc-x, inactive, in its cache
    await b.process(cmd('field-condition.update', campaignId, 'fc-x', { active: true }));
    const err = await a.process(define('fc-y', 'y', 'x')).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('VALIDATION');
    expect((err as AppError).message).toContain('y -> x -> y');
  });
});
