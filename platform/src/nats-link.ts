import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

/** What a service needs to know about its NATS connection at the moment it decides: up, or down since when. */
export interface NatsLinkState {
  connected: boolean;
  /** When the connection last went up or down (`Date.now()`). */
  since: number;
}

/**
 * The state of one NATS connection, kept from the client's status events so that it can be read synchronously.
 *
 * While the client reconnects, nats.js keeps requests and publishes pending (buffered, or waiting for replies
 * that cannot come) until their own timeouts: a request sent into an outage hangs for its whole timeout. Code that
 * answers people (the command gateway, `/ready`) reads this instead and answers at once; `onChange` tells it when
 * the connection drops so it can fail what it has in flight.
 */
export class NatsLink {
  private state: NatsLinkState = { connected: true, since: Date.now() };
  private readonly listeners = new Set<(state: NatsLinkState) => void>();

  /** Follows `nc.status()` until the connection closes; call once per connection. */
  static watch(nc: NatsConnection, logger: Logger): NatsLink {
    const link = new NatsLink();
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') {
          logger.warn({ nats: s }, 'nats connection lost; reconnecting');
          link.set(false);
        } else if (s.type === 'reconnect') {
          logger.info({ nats: s }, 'nats reconnected');
          link.set(true);
        } else if (s.type === 'error') {
          logger.warn({ nats: s }, 'nats connection problem');
        }
      }
      link.set(false);
    })();
    void nc.closed().then(() => link.set(false));
    return link;
  }

  get connected(): boolean {
    return this.state.connected;
  }

  current(): NatsLinkState {
    return this.state;
  }

  /** Why the link is down (`nats disconnected for 3 s`), or undefined while it is up. */
  downReason(): string | undefined {
    if (this.state.connected) return undefined;
    return `nats disconnected for ${Math.round((Date.now() - this.state.since) / 1000)} s`;
  }

  /** Called on every change between up and down; returns the unsubscribe function. */
  onChange(listener: (state: NatsLinkState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(connected: boolean): void {
    if (this.state.connected === connected) return;
    this.state = { connected, since: Date.now() };
    for (const listener of [...this.listeners]) listener(this.state);
  }
}
