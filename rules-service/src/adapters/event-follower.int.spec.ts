import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommit, natsNames, type AnyEvent, type NatsNames } from '@cm/contracts';
import { closeNats, connectNats, createLogger, ensureEventStream, LOCAL_DEFAULTS, type Nats } from '@cm/platform';
import { ResultCache } from '../cache/result-cache.js';
import { Evaluator } from '../evaluator.js';
import { event, world } from '../events.test-util.js';
import { RulesState } from '../rules-state.js';
import { EventFollower } from './event-follower.js';

// Real NATS, a stream of our own: two instances (state + follower each) follow it side by side, as two
// rules-service processes do, and both drop exactly what each event invalidates.
const logger = createLogger('rules-follower-test', { NODE_ENV: 'test', LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
let nats: Nats;
let names: NatsNames;

interface Instance {
  state: RulesState;
  evaluator: Evaluator;
  follower: EventFollower;
}
const instances: Instance[] = [];

async function publish(e: AnyEvent): Promise<number> {
  const subject = names.eventSubject({
    campaignId: e.campaignId,
    branchId: e.branchId,
    entityType: e.entityType,
    entityId: e.entityId,
  });
  return (await nats.js.publish(subject, encodeCommit({ commitId: randomUUID(), events: [e] }))).seq;
}

async function instance(): Promise<Instance> {
  const state = new RulesState(new ResultCache({ maxKeys: 10_000, ttlSeconds: 300, checkPeriodSeconds: 0 }));
  const follower = new EventFollower(nats, names, state, logger);
  await follower.start(1);
  const i = { state, evaluator: new Evaluator(state), follower };
  instances.push(i);
  return i;
}

const read = (i: Instance, entityType: 'settlement' | 'structure', entityId: string, fields: string[]) =>
  Object.fromEntries(
    i.evaluator
      .evaluate({ campaignId: 'c1', branchId: 'main', entities: [{ entityType, entityId }], fields })[0]!
      .fields.map((f) => [f.field, f.value]),
  );
const warm = (i: Instance) => {
  for (const s of ['s1', 's2']) read(i, 'settlement', s, ['wealth', 'taxes', 'rank', 'label']);
  for (const st of ['st1', 'st2', 'st3']) read(i, 'structure', st, ['sturdy', 'grand']);
};
const cached = (i: Instance) =>
  i.state.cache
    .keys()
    .map((k) => k.split('|').slice(3).join('.'))
    .sort();

beforeAll(async () => {
  names = natsNames(`r${randomBytes(5).toString('hex')}`);
  nats = await connectNats(process.env.NATS_URL ?? LOCAL_DEFAULTS.NATS_URL, 'rules-follower-test', logger);
  await ensureEventStream(nats.jsm, names, { replicas: 1, duplicateWindowMs: 120_000 });
  let last = 0;
  for (const e of world()) last = await publish(e);
  const [a, b] = [await instance(), await instance()];
  expect(await a.follower.waitFor(last, 10_000)).toBe(true);
  expect(await b.follower.waitFor(last, 10_000)).toBe(true);
});

afterAll(async () => {
  for (const i of instances) {
    await i.follower.stop();
    i.state.cache.close();
  }
  await nats?.jsm.streams.delete(names.eventStream).catch(() => undefined);
  await closeNats(nats);
});

describe('two instances following the stream', () => {
  it('are at the head once they have applied what the stream held', () => {
    for (const i of instances) expect(i.follower.atHead).toBe(true);
  });

  it('both drop exactly the dependent results of one event, and answer the new value', async () => {
    for (const i of instances) warm(i);
    const all = cached(instances[0]!);
    expect(all).toHaveLength(14);
    const seq = await publish(event('StructureLevelSet', { level: 0 }, 'st2'));
    for (const i of instances) {
      expect(await i.follower.waitFor(seq, 10_000)).toBe(true);
      // Only s1's wealth (it aggregates st2's level) and s1's rank (it reads wealth) are gone.
      expect(cached(i)).toEqual(all.filter((k) => k !== 's1.wealth' && k !== 's1.rank'));
      expect(read(i, 'settlement', 's1', ['wealth', 'rank'])).toEqual({ wealth: 2, rank: 'village' });
      expect(i.state.appliedSeq).toBe(seq);
    }
  });

  it('both drop a field across the branch when its condition changes', async () => {
    for (const i of instances) warm(i);
    const seq = await publish(
      event(
        'FieldConditionUpdated',
        { field: 'label', expression: { cat: ['#', { var: 'id' }] }, priority: 0, active: true },
        'fc-label',
      ),
    );
    for (const i of instances) {
      expect(await i.follower.waitFor(seq, 10_000)).toBe(true);
      expect(cached(i).filter((k) => k.endsWith('.label'))).toEqual([]);
      expect(cached(i)).toHaveLength(12);
      expect(read(i, 'settlement', 's2', ['label'])).toEqual({ label: '#s2' });
    }
  });

  it('answers a wait for a sequence not yet written with false after the bound', async () => {
    const head = instances[0]!.state.appliedSeq;
    expect(await instances[0]!.follower.waitFor(head + 1_000, 50)).toBe(false);
  });
});
