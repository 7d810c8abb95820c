import { Controller, Inject, type Type } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Ctx, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import { aggregateOf, AppError, ErrorCode, parseCommand, toErrorPayload, type CommandReply } from '@cm/contracts';
import type { Logger } from '@cm/platform';
import { aggregateCommands, type AggregateCommand } from './aggregate-command.handlers.js';
import type { CommandMetrics } from './command.metrics.js';

export const LOGGER = Symbol('LOGGER');
export const METRICS = Symbol('METRICS');

/**
 * The NATS edge: validates the envelope, checks it matches its subject, dispatches on the command bus and
 * turns every outcome into a plain `CommandReply`. The subject pattern depends on the namespace, so the
 * controller class is made per pattern.
 */
export function commandsControllerFor(pattern: string, prefix: string): Type<unknown> {
  @Controller()
  class CommandsController {
    constructor(
      @Inject(CommandBus) private readonly bus: CommandBus,
      @Inject(LOGGER) private readonly logger: Logger,
      @Inject(METRICS) private readonly metrics: CommandMetrics,
    ) {}

    @MessagePattern(pattern)
    async handle(@Payload() data: unknown, @Ctx() ctx: NatsContext): Promise<CommandReply> {
      const started = performance.now();
      const subjectType = ctx.getSubject().slice(prefix.length + 5); // `<prefix>.cmd.`
      let type = subjectType;
      // Carried from the HTTP request (x-correlation-id) so one id follows a change through every log line.
      const ids = {
        correlationId: (data as { correlationId?: unknown })?.correlationId,
        commandId: (data as { commandId?: unknown })?.commandId,
      };
      try {
        const command = parseCommand(data);
        type = command.type;
        if (command.type !== subjectType)
          throw new AppError(
            ErrorCode.VALIDATION,
            `command type ${command.type} sent on the subject of ${subjectType}`,
          );
        const reply = await this.bus.execute<AggregateCommand, CommandReply>(
          new aggregateCommands[aggregateOf(command.type)].command(command),
        );
        this.metrics.observe(type, 'ok', started);
        // Checked first: building the log object on every command is measurable at thousands per second.
        if (this.logger.isLevelEnabled('debug')) this.logger.debug({ ...ids, type, reply }, 'command handled');
        return reply;
      } catch (e) {
        const error = toErrorPayload(e);
        this.metrics.observe(type, error.code, started);
        if (error.code === ErrorCode.INTERNAL) this.logger.error({ err: e, ...ids, type }, 'command failed');
        else this.logger.info({ ...ids, code: error.code, type, message: error.message }, 'command rejected');
        return { ok: false, error };
      }
    }
  }
  return CommandsController;
}
