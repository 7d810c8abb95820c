import {
  ServerNats,
  type ConsumerDeserializer,
  type IncomingRequest,
  type NatsOptions,
  type Serializer,
} from '@nestjs/microservices';
import { ErrorCode, type RulesEvaluateReply } from '@cm/contracts';
import type { NatsConnection } from '@cm/platform';

// The same wire shape as the command service's transport (command-service/src/transport/): plain JSON both
// ways instead of Nest's `{ pattern, data, id }` envelope, on the service's one NATS connection. A candidate
// for platform once both services settle; kept here so this change stays out of the command shell.

interface NatsMsgLike {
  json<T>(): T;
}

export class PlainJsonDeserializer implements ConsumerDeserializer {
  deserialize(value: NatsMsgLike, options?: { channel?: string; replyTo?: string }): IncomingRequest {
    let data: unknown;
    try {
      data = value.json();
    } catch {
      data = undefined; // the handler answers VALIDATION
    }
    return { pattern: options?.channel ?? '', data, id: options?.replyTo ?? '' };
  }
}

export class PlainJsonSerializer implements Serializer {
  serialize(packet: { response?: unknown }): { data: string } {
    if (packet.response !== undefined) return { data: JSON.stringify(packet.response) };
    const reply: RulesEvaluateReply = { ok: false, error: { code: ErrorCode.INTERNAL, message: 'internal error' } };
    return { data: JSON.stringify(reply) };
  }
}

type Subscription = ReturnType<NatsConnection['subscribe']>;

/** Nest's NATS server on a connection the service already holds; `close` ends only its subscriptions. */
export class SharedConnectionServerNats extends ServerNats {
  private readonly own: Subscription[] = [];

  constructor(
    options: NatsOptions['options'],
    private readonly connection: NatsConnection,
  ) {
    super(options ?? {});
  }

  override async createNatsClient(): Promise<any> {
    return this.connection;
  }

  override bindEvents(client: NatsConnection): void {
    const recording = Object.create(client, {
      subscribe: {
        value: (subject: string, opts: Parameters<NatsConnection['subscribe']>[1]) => {
          const sub = client.subscribe(subject, opts);
          this.own.push(sub);
          return sub;
        },
      },
    }) as NatsConnection;
    super.bindEvents(recording);
  }

  override getHandlerByPattern(pattern: string) {
    return this.messageHandlers.get(pattern) ?? super.getHandlerByPattern(pattern);
  }

  override async close(): Promise<void> {
    for (const sub of this.own.splice(0)) sub.unsubscribe();
  }
}
