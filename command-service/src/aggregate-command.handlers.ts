import { Inject, type Type } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ENTITY_TYPES, type Command, type CommandReply, type EntityType } from '@cm/contracts';
import { CommandProcessor } from './application/command-processor.js';

/** The `@nestjs/cqrs` command for one aggregate type: it carries the validated envelope. */
export interface AggregateCommand {
  readonly envelope: Command;
}

function defineAggregateCommand(entityType: EntityType): {
  command: Type<AggregateCommand>;
  handler: Type<ICommandHandler>;
} {
  const command = class implements AggregateCommand {
    constructor(readonly envelope: Command) {}
  };
  Object.defineProperty(command, 'name', { value: `${entityType}-command` });

  // A thin shell, as every handler is: load, decide, append all live in the processor.
  @CommandHandler(command)
  class Handler implements ICommandHandler<AggregateCommand, CommandReply> {
    constructor(@Inject(CommandProcessor) private readonly processor: CommandProcessor) {}
    execute(c: AggregateCommand): Promise<CommandReply> {
      return this.processor.process(c.envelope);
    }
  }
  Object.defineProperty(Handler, 'name', { value: `${entityType}-command-handler` });
  return { command, handler: Handler };
}

/** One command class and handler per aggregate type. */
export const aggregateCommands = Object.fromEntries(ENTITY_TYPES.map((t) => [t, defineAggregateCommand(t)])) as Record<
  EntityType,
  ReturnType<typeof defineAggregateCommand>
>;
