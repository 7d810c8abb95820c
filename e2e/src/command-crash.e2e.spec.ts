import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCommit, natsNames, type CommandEnvelope, type CommandReply, type NatsNames } from '@cm/contracts';
import { isolatedNames, startSystem, type System } from '@cm/infra';
import { closeNats, connectNats, createLogger, LOCAL_DEFAULTS, type Nats } from '@cm/platform';

// The command service as a real process, killed with SIGKILL while commands are in flight, then restarted. The
// client does what the contract asks of any client: it retries a command that got no reply with the same
// command id. Every command must then be written exactly once, and every reply must name that one write.
const names = isolatedNames('crash');
const nn: NatsNames = natsNames(names.namespace);
let system: System;
let nats: Nats;

beforeAll(async () => {
  system = await startSystem({ ...names, services: ['command-service'], env: { LOG_LEVEL: 'warn' } });
  nats = await connectNats(
    process.env.NATS_URL ?? LOCAL_DEFAULTS.NATS_URL,
    'e2e-crash',
    createLogger('e2e-crash', { LOG_LEVEL: 'silent', NODE_ENV: 'test', LOG_FORMAT: 'json' }),
  );
});

afterAll(async () => {
  await closeNats(nats);
  await system?.stop({ cleanup: true });
});

type Envelope = Omit<CommandEnvelope, 'payload'> & { payload: unknown };

function envelope(
  commandId: string,
  type: CommandEnvelope['type'],
  campaignId: string,
  aggregateId: string,
  payload: unknown,
): Envelope {
  return {
    commandId,
    type,
    campaignId,
    branchId: 'main',
    aggregateId,
    payload,
    actor: { userId: 'crash-owner' },
    correlationId: commandId,
    issuedAt: new Date().toISOString(),
  };
}

/** Sends until a reply comes back, resending the same envelope after a timeout or while nobody answers. */
async function sendUntilAnswered(command: Envelope, attempts: { count: number }): Promise<CommandReply> {
  for (;;) {
    attempts.count += 1;
    try {
      const msg = await nats.nc.request(nn.commandSubject(command.type), JSON.stringify(command), { timeout: 1500 });
      return msg.json<CommandReply>();
    } catch {
      await sleep(50); // no responders while the service is down, or no reply before the kill
    }
  }
}

describe('a command service killed mid-flight', () => {
  it('loses no acknowledged command and writes none twice when clients retry with the same id', async () => {
    const campaignId = `crash${Date.now()}`;
    const created = await sendUntilAnswered(
      envelope(`${campaignId}-create`, 'campaign.create', campaignId, campaignId, { name: 'Crash test' }),
      { count: 0 },
    );
    expect(created.ok).toBe(true);

    // 48 clients; each creates a kingdom, then renames it. The service is killed once a quarter of the work is
    // acknowledged, while the rest is in flight, and restarted at once.
    const KINGDOMS = 600;
    const replies = new Map<string, CommandReply>();
    const attempts = { count: 0 };
    let acknowledged = 0;
    let next = 0;
    let crash: Promise<unknown> | undefined;
    const client = async () => {
      while (next < KINGDOMS) {
        const i = next++;
        for (const [commandId, type, payload] of [
          [`k${i}-create`, 'kingdom.create', { name: `Kingdom ${i}` }],
          [`k${i}-rename`, 'kingdom.rename', { name: `Renamed ${i}` }],
        ] as const) {
          const reply = await sendUntilAnswered(
            envelope(`${campaignId}-${commandId}`, type, campaignId, `k${i}`, payload),
            attempts,
          );
          replies.set(commandId, reply);
          acknowledged += 1;
          if (acknowledged === KINGDOMS / 2 && !crash) {
            crash = system.kill('command-service', 'SIGKILL').then(() => system.restart('command-service'));
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 48 }, client));
    await crash;

    // The kill hit commands in flight: some were sent more than once.
    expect(attempts.count).toBeGreaterThan(KINGDOMS * 2);
    const failed = [...replies].filter(([, r]) => !r.ok);
    expect(failed).toEqual([]);

    // Exactly two commits per kingdom, the create then the rename, each carrying its command's id; every reply
    // names the sequence of its command's one commit.
    const info = await nats.jsm.streams.info(nn.eventStream, {
      subjects_filter: nn.entityTypeFilter(campaignId, 'main', 'kingdom'),
    });
    const perSubject = Object.values(info.state.subjects ?? {});
    expect(perSubject).toHaveLength(KINGDOMS);
    expect(perSubject.every((n) => n === 2)).toBe(true);
    const mismatches: string[] = [];
    for (let i = 0; i < KINGDOMS; i += 1) {
      const subject = nn.eventSubject({ campaignId, branchId: 'main', entityType: 'kingdom', entityId: `k${i}` });
      const first = await nats.jsm.direct.getMessage(nn.eventStream, { seq: 1, next_by_subj: subject });
      const last = await nats.jsm.direct.getMessage(nn.eventStream, { last_by_subj: subject });
      const commandIdOf = (data: Uint8Array) => decodeCommit(data).events[0]!.metadata.commandId;
      const create = replies.get(`k${i}-create`)!;
      const rename = replies.get(`k${i}-rename`)!;
      if (!first || !last || !create.ok || !rename.ok) {
        mismatches.push(`k${i}: missing`);
        continue;
      }
      if (commandIdOf(first.data) !== `${campaignId}-k${i}-create` || create.seq !== first.seq)
        mismatches.push(`k${i} create`);
      if (commandIdOf(last.data) !== `${campaignId}-k${i}-rename` || rename.seq !== last.seq)
        mismatches.push(`k${i} rename`);
    }
    expect(mismatches).toEqual([]);
  });
});
