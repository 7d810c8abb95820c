import { randomUUID } from 'node:crypto';
import {
  natsNames,
  SAGA_NAMES,
  type CommandInput,
  type CommandReply,
  type CommandType,
  type NatsNames,
} from '@cm/contracts';
import type { Nats } from '@cm/platform';

/** Sends commands to the command service as plain JSON requests, the way the API does. */
export class CommandClient {
  readonly names: NatsNames;

  constructor(
    private readonly nats: Nats,
    namespace: string,
    readonly userId = 'gm-1',
  ) {
    this.names = natsNames(namespace);
  }

  async send<T extends CommandType>(
    type: T,
    campaignId: string,
    aggregateId: string,
    payload: CommandInput<T>,
    opts: { branchId?: string; userId?: string } = {},
  ): Promise<CommandReply> {
    const commandId = randomUUID();
    const envelope = {
      commandId,
      type,
      campaignId,
      branchId: opts.branchId ?? 'main',
      aggregateId,
      payload,
      actor: { userId: opts.userId ?? this.userId },
      correlationId: commandId,
      issuedAt: new Date().toISOString(),
    };
    // Generous: a command waits for the command service, which may be busy with thousands of others.
    const reply = await this.nats.nc.request(this.names.commandSubject(type), JSON.stringify(envelope), {
      timeout: 30_000,
    });
    return reply.json<CommandReply>();
  }

  /** Like `send`, but the command must succeed; resolves to its sequence. */
  async must<T extends CommandType>(
    type: T,
    campaignId: string,
    aggregateId: string,
    payload: CommandInput<T>,
    opts: { branchId?: string } = {},
  ): Promise<number> {
    const reply = await this.send(type, campaignId, aggregateId, payload, opts);
    if (!reply.ok) throw new Error(`${type} ${aggregateId} failed: ${reply.error.code} ${reply.error.message}`);
    return reply.seq;
  }
}

/** Waits until the command service's sagas have consumed everything (their effects are commits too). */
export async function waitForSagas(nats: Nats, names: NatsNames): Promise<void> {
  for (;;) {
    const consumers = await Promise.all(
      SAGA_NAMES.map((saga) =>
        nats.jsm.consumers.info(names.eventStream, names.sagaConsumer(saga)).catch(() => undefined),
      ),
    );
    if (consumers.every((c) => c && c.num_pending === 0 && c.num_ack_pending === 0)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
