import { ServerNats, type NatsOptions } from '@nestjs/microservices';
import type { NatsConnection } from '../nats.js';

type Subscription = ReturnType<NatsConnection['subscribe']>;

/**
 * Nest's NATS server on the service's one NATS connection instead of a second one of its own. Replies then share
 * the socket with the event-store appends, so both leave in the same writes (socket writes were the largest
 * single cost of the command service in a CPU profile), and the server keeps one connection per instance. Closing
 * stops intake (unsubscribes) only: the connection belongs to the lifecycle, which drains it last, after the
 * sagas have finished with it.
 */
export class SharedConnectionServerNats extends ServerNats {
  /** Nest keeps its subscriptions private; ours are recorded here so that `close` can end them. */
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
        value: (subject: string, opts: Parameters<NatsConnection['subscribe']>[1]) =>
          this.record(client.subscribe(subject, opts)),
      },
    }) as NatsConnection;
    super.bindEvents(recording);
  }

  /**
   * Our patterns are plain subject strings, registered as themselves. Nest's lookup first tries `JSON.parse` on
   * every incoming channel and throws and catches for a plain string, a cost CPU profiles showed (docs/perf.md).
   */
  override getHandlerByPattern(pattern: string) {
    return this.messageHandlers.get(pattern) ?? super.getHandlerByPattern(pattern);
  }

  override async close(): Promise<void> {
    for (const sub of this.own.splice(0)) sub.unsubscribe();
  }

  private record(sub: Subscription): Subscription {
    this.own.push(sub);
    return sub;
  }
}
