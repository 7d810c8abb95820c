import { AckPolicy, DeliverPolicy, type ConsumerMessages } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { AppError, decodeCommit, ErrorCode, type AnyEvent, type Command, type NatsNames } from '@cm/contracts';
import type { Logger, Nats } from '@cm/platform';
import type { CommandProcessor } from '../application/command-processor.js';
import type { AggregateRepository } from '../event-store/aggregate-repository.js';
import { deciders } from '../domain/index.js';
import { settlementCascade, worldEventEffects } from './saga-commands.js';

interface SagaDefinition {
  name: string;
  /** Server-side filter: the saga only ever receives events of this aggregate type. */
  entityType: 'settlement' | 'world-event';
  commandsFor(event: AnyEvent): Promise<Command[]>;
}

const MAX_DELIVER = 10;

/**
 * Runs the process managers: each is a durable pull consumer on the event stream filtered to one aggregate
 * type, so it reads only the events it reacts to. Commands go straight to the processor; a message is acked
 * once all of them are done, and redelivered (bounded) when one fails for a reason other than "already done".
 */
export class SagaRunner {
  private readonly running: ConsumerMessages[] = [];
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly nats: Nats,
    private readonly names: NatsNames,
    private readonly processor: CommandProcessor,
    private readonly repo: AggregateRepository,
    private readonly logger: Logger,
  ) {}

  definitions(): SagaDefinition[] {
    return [
      {
        name: 'settlement-cascade',
        entityType: 'settlement',
        commandsFor: async (event) =>
          event.type === 'SettlementDeleted' ? settlementCascade(event, await this.structuresOf(event)) : [],
      },
      {
        name: 'world-event-effects',
        entityType: 'world-event',
        commandsFor: async (event) => (event.type === 'WorldEventResolved' ? worldEventEffects(event) : []),
      },
    ];
  }

  async start(): Promise<void> {
    for (const saga of this.definitions()) {
      const durable = `saga-${saga.name}`;
      const config = {
        durable_name: durable,
        filter_subject: `${this.names.prefix}.evt.*.*.${saga.entityType}.*`,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(30_000),
        max_deliver: MAX_DELIVER,
        max_ack_pending: 1000,
      };
      await this.nats.jsm.consumers
        .add(this.names.eventStream, config)
        .catch(async () => this.nats.jsm.consumers.update(this.names.eventStream, durable, config));
      const consumer = await this.nats.js.consumers.get(this.names.eventStream, durable);
      const messages = await consumer.consume({ max_messages: 100 });
      this.running.push(messages);
      this.loops.push(this.loop(saga, messages));
    }
  }

  private async loop(saga: SagaDefinition, messages: ConsumerMessages): Promise<void> {
    for await (const m of messages) {
      try {
        for (const event of decodeCommit(m.data).events) {
          for (const command of await saga.commandsFor(event)) await this.run(saga, command);
        }
        m.ack();
      } catch (e) {
        const last = m.info.deliveryCount >= MAX_DELIVER;
        this.logger[last ? 'error' : 'warn'](
          { err: e, saga: saga.name, seq: m.seq, delivery: m.info.deliveryCount },
          last ? 'saga gave up on an event' : 'saga step failed; will retry',
        );
        if (last) m.term();
        else m.nak(1000 * m.info.deliveryCount);
      }
    }
  }

  private async run(saga: SagaDefinition, command: Command): Promise<void> {
    try {
      await this.processor.process(command);
    } catch (e) {
      // Already deleted or never there: the effect the saga wants already holds (or cannot), nothing to retry.
      if (e instanceof AppError && (e.code === ErrorCode.NOT_FOUND || e.code === ErrorCode.INVALID_STATE)) {
        this.logger.info(
          { saga: saga.name, command: command.type, aggregateId: command.aggregateId, code: e.code },
          'saga command had nothing to do',
        );
        return;
      }
      throw e;
    }
  }

  /** Live structures of a settlement in the event's branch, its ancestors' structures included. */
  private async structuresOf(event: AnyEvent): Promise<string[]> {
    const ids = await this.repo.aggregateIdsInLineage(event.campaignId, event.branchId, 'structure');
    const live: string[] = [];
    for (const id of ids) {
      const loaded = await this.repo.load(deciders.structure, {
        campaignId: event.campaignId,
        branchId: event.branchId,
        entityType: 'structure',
        entityId: id,
      });
      const state = loaded.state as { status: string; settlementId?: string };
      if (state.status === 'active' && state.settlementId === event.entityId) live.push(id);
    }
    return live;
  }

  async stop(): Promise<void> {
    for (const m of this.running) m.stop();
    await Promise.allSettled(this.loops);
  }
}
