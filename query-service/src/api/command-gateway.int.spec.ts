import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, natsNames, type Command, type NatsNames } from '@cm/contracts';
import { closeNats, connectNats, createLogger, LOCAL_DEFAULTS, type Nats } from '@cm/platform';
import { type RunningCommandService, startCommandService } from '@cm/testkit';
import { buildCommand } from './command-envelope.js';
import { CommandGateway } from './command-gateway.js';
import { mutationSpecs, type MutationName } from './mutation-commands.js';

// The gateway against the real command service: its built process on a namespace of our own, over the real
// NATS. Envelopes are built by the same mapping the mutations use, so this also proves the service accepts
// what the API sends (branch forks filed under main, state variables under <ownerType>~<ownerId>).
const logger = createLogger('command-gateway-test', { NODE_ENV: 'test', LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });

let service: RunningCommandService | undefined;
let nats: Nats;
let names: NatsNames;
let gateway: CommandGateway;
const replies: string[] = [];

beforeAll(async () => {
  names = natsNames(`t${randomBytes(5).toString('hex')}`);
  nats = await connectNats(process.env.NATS_URL ?? LOCAL_DEFAULTS.NATS_URL, 'command-gateway-test', logger);
  gateway = new CommandGateway({
    nc: nats.nc,
    link: nats.link,
    names,
    timeoutMs: 10_000,
    logger,
    onReply: (type, code) => replies.push(`${type} ${code}`),
  });
  service = await startCommandService(names.prefix);
});

afterAll(async () => {
  await service?.stop();
  await nats?.jsm.streams.delete(names.eventStream).catch(() => undefined);
  await closeNats(nats);
});

let n = 0;
const command = (user: string, name: MutationName, args: Record<string, unknown>): Command =>
  buildCommand(mutationSpecs[name], args, {
    userId: user,
    correlationId: `corr-${user}`,
    issuedAt: new Date().toISOString(),
    newId: () => `gen-${(n += 1)}-${randomBytes(3).toString('hex')}`,
  });

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof AppError)) throw new Error(`expected an AppError, got ${String(e)}`);
  return e;
}

const C = `camp-${randomBytes(3).toString('hex')}`;
const point = { type: 'Point', coordinates: [12.5, 45.1] };

describe('CommandGateway against the command service', () => {
  it('creates a campaign and answers a retried command id with the first result', async () => {
    const create = command('alice', 'createCampaign', { id: C, name: 'The Shattered Crown', commandId: `create-${C}` });
    const first = await gateway.send(create);
    expect(first).toMatchObject({ ok: true, aggregateId: C, aggregateVersion: 1 });
    expect(first.seq).toBeGreaterThan(0);
    expect(first.duplicate).toBeFalsy();
    const again = await gateway.send({ ...create, correlationId: 'retry' });
    expect(again).toMatchObject({ ok: true, seq: first.seq, commitId: first.commitId, duplicate: true });
  });

  it('accepts every kind of envelope the mutations build', async () => {
    const v = { campaignId: C };
    const sent = [
      command('alice', 'createKingdom', { ...v, id: 'aurelia', name: 'Aurelia' }),
      command('alice', 'createLocation', { ...v, id: 'harbor', name: 'Harbor', geometry: point }),
      command('alice', 'createSettlement', {
        ...v,
        id: 'port',
        kingdomId: 'aurelia',
        locationId: 'harbor',
        name: 'Port',
        level: 3,
      }),
      command('alice', 'createStructure', {
        ...v,
        id: 'docks',
        settlementId: 'port',
        name: 'Docks',
        structureType: 'harbor',
      }),
      command('alice', 'setStateVariable', {
        ...v,
        ownerType: 'settlement',
        ownerId: 'port',
        key: 'population',
        value: { type: 'number', value: 1200 },
      }),
      command('alice', 'unsetStateVariable', { ...v, ownerType: 'settlement', ownerId: 'port', key: 'population' }),
      command('alice', 'addCampaignMember', { ...v, userId: 'bob', role: 'viewer' }),
      command('alice', 'forkBranch', { ...v, id: 'what-if', parentBranchId: 'main', name: 'What if' }),
      // Only found if the fork was filed where the service looks for branches.
      command('alice', 'renameSettlement', { ...v, branchId: 'what-if', id: 'port', name: 'Port Ruin' }),
      command('alice', 'deleteStructure', { ...v, branchId: 'what-if', id: 'docks' }),
    ];
    let last = 0;
    for (const c of sent) {
      const reply = await gateway.send(c);
      expect(reply.seq, c.type).toBeGreaterThan(last);
      expect(reply.aggregateId).toBe(c.aggregateId);
      last = reply.seq;
    }
  });

  it.each([
    ['an unknown kingdom', 'alice', 'renameKingdom', { campaignId: C, id: 'atlantis', name: 'x' }, 'NOT_FOUND'],
    // Nobody is a member of a campaign that does not exist; NOT_FOUND would tell strangers which ids exist.
    ['an unknown campaign', 'alice', 'createKingdom', { campaignId: 'no-such-campaign', name: 'x' }, 'FORBIDDEN'],
    ['an unknown branch', 'alice', 'createKingdom', { campaignId: C, branchId: 'nope', name: 'x' }, 'NOT_FOUND'],
    ['a taken id', 'alice', 'createKingdom', { campaignId: C, id: 'aurelia', name: 'again' }, 'ALREADY_EXISTS'],
    ['a viewer writing', 'bob', 'renameKingdom', { campaignId: C, id: 'aurelia', name: 'Mine' }, 'FORBIDDEN'],
    ['a stranger writing', 'mallory', 'renameKingdom', { campaignId: C, id: 'aurelia', name: 'Mine' }, 'FORBIDDEN'],
    [
      'unsetting what is not set',
      'alice',
      'unsetStateVariable',
      { campaignId: C, ownerType: 'kingdom', ownerId: 'aurelia', key: 'ruler' },
      'NOT_FOUND',
    ],
    ['the main branch deleted', 'alice', 'deleteBranch', { campaignId: C, id: 'main' }, 'INVALID_STATE'],
  ] as const)('passes on the refusal of %s with its code', async (_name, user, mutation, args, code) => {
    const e = await refusal(gateway.send(command(user, mutation, args)));
    expect(e.code).toBe(code);
  });

  it('answers UNAVAILABLE when no command service listens', async () => {
    const nobody = new CommandGateway({
      nc: nats.nc,
      link: nats.link,
      names: natsNames(`t${randomBytes(5).toString('hex')}`),
      timeoutMs: 5000,
      logger,
    });
    const started = performance.now();
    const e = await refusal(
      nobody.send(command('alice', 'renameKingdom', { campaignId: C, id: 'aurelia', name: 'x' })),
    );
    expect(e.code).toBe('UNAVAILABLE');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('answers TIMEOUT, with the command id to retry, when the service does not answer in time', async () => {
    const silent = natsNames(`t${randomBytes(5).toString('hex')}`);
    const sub = nats.nc.subscribe(silent.commandWildcard, { callback: () => undefined });
    try {
      const slow = new CommandGateway({ nc: nats.nc, link: nats.link, names: silent, timeoutMs: 200, logger });
      const c = command('alice', 'renameKingdom', { campaignId: C, id: 'aurelia', name: 'x' });
      const e = await refusal(slow.send(c));
      expect(e.code).toBe('TIMEOUT');
      expect(e.details).toMatchObject({ commandId: c.commandId });
    } finally {
      sub.unsubscribe();
    }
  });

  it('reports each reply code for the metrics', () => {
    expect(replies).toContain('campaign.create ok');
    expect(replies).toContain('kingdom.rename FORBIDDEN');
    expect(replies).toContain('kingdom.create ALREADY_EXISTS');
  });
});
