import type { NatsConnection } from '../nats.js';
import type { Logger } from '../logger.js';
import { PlainJsonDeserializer, PlainJsonSerializer } from './plain-json.codec.js';
import { PinoNestLogger } from './pino-nest.logger.js';
import { SharedConnectionServerNats } from './shared-connection.server.js';

// `@cm/platform/nest`: the NATS request/reply transport of the services that answer through
// `@nestjs/microservices` (command-service, rules-service). A subpath of its own, so that services without Nest
// never load it.

export { PinoNestLogger, PlainJsonDeserializer, PlainJsonSerializer, SharedConnectionServerNats };

/**
 * The options of `NestFactory.createMicroservice` for a service answering plain-JSON requests in queue group
 * `queue` on the connection it already holds, with Nest's own log lines through pino.
 */
export function natsMicroserviceOptions(opts: { connection: NatsConnection; queue: string; logger: Logger }): {
  strategy: SharedConnectionServerNats;
  logger: PinoNestLogger;
} {
  const transport = {
    queue: opts.queue,
    serializer: new PlainJsonSerializer(),
    deserializer: new PlainJsonDeserializer(),
  };
  return {
    strategy: new SharedConnectionServerNats(transport, opts.connection),
    logger: new PinoNestLogger(opts.logger),
  };
}
