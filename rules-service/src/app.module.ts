import { Module, type DynamicModule } from '@nestjs/common';
import { rulesControllerFor, RULES_EDGE, type RulesEdge } from './rules.controller.js';

@Module({})
export class RulesModule {
  /** The cores and adapters are built before Nest starts and handed in as one value. */
  static register(edge: RulesEdge, subject: string): DynamicModule {
    return {
      module: RulesModule,
      controllers: [rulesControllerFor(subject)],
      providers: [{ provide: RULES_EDGE, useValue: edge }],
    };
  }
}
