import type { ConsumerMessages } from '@nats-io/jetstream';
import {
  AppError,
  decodeCommit,
  ErrorCode,
  SAGA_NAMES,
  type AnyEvent,
  type Command,
  type NatsNames,
  type SagaName,
} from '@cm/contracts';
import { SAGA_MAX_DELIVER, type Logger, type Nats } from '@cm/platform';
import type { CommandProcessor } from '../application/command-processor.js';
import type { AggregateRepository } from '../event-store/aggregate-repository.js';
import { deciders } from '../domain/index.js';
import { settlementCascade, worldEventEffects } from './saga-commands.js';

interface SagaDefinition {
  name: SagaName;
  /** The commands an event of the saga's aggregate type (`SAGAS`, its consumer's filter) calls for. */
  commandsFor(event: AnyEvent): Promise<Command[]>;
}

/**
 * Runs the process managers: each reads its durable pull consumer on the event stream (`sagaConsumerConfig` of
 * @cm/platform, provisioned and verified before this starts), filtered to one aggregate type, so it reads only the
 * events it reacts to. Commands go straight to the processor; a message is acked once all of them are done, and
 * redelivered (bounded) when one fails for a reason other than "already done".
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
    const commandsFor: Record<SagaName, SagaDefinition['commandsFor']> = {
      'settlement-cascade': async (event) =>
        event.type === 'SettlementDeleted' ? settlementCascade(event, await this.structuresOf(event)) : [],
      'world-event-effects': async (event) => (event.type === 'WorldEventResolved' ? worldEventEffects(event) : []),
    };
    return SAGA_NAMES.map((name) => ({ name, commandsFor: commandsFor[name] }));
  }

  async start(): Promise<void> {
    for (const saga of this.definitions()) {
      const consumer = await this.nats.js.consumers.get(this.names.eventStream, this.names.sagaConsumer(saga.name));
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
        const last = m.info.deliveryCount >= SAGA_MAX_DELIVER;
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
