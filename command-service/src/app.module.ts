import { Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import type { Logger } from '@cm/platform';
import { aggregateCommands } from './aggregate-command.handlers.js';
import { CommandProcessor } from './application/command-processor.js';
import type { CommandMetrics } from './command.metrics.js';
import { commandsControllerFor, LOGGER, METRICS } from './commands.controller.js';

export interface AppModuleOptions {
  processor: CommandProcessor;
  logger: Logger;
  metrics: CommandMetrics;
  prefix: string;
}

@Module({})
export class AppModule {
  /** The adapters (NATS, event store) are built before Nest starts and handed in as values. */
  static register(opts: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot()],
      controllers: [commandsControllerFor(`${opts.prefix}.cmd.>`, opts.prefix)],
      providers: [
        { provide: CommandProcessor, useValue: opts.processor },
        { provide: LOGGER, useValue: opts.logger },
        { provide: METRICS, useValue: opts.metrics },
        ...Object.values(aggregateCommands).map((c) => c.handler),
      ],
    };
  }
}
