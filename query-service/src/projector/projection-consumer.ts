import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { NatsNames } from '@cm/contracts';
import { projectionConsumerConfig, type Nats } from '@cm/platform';

/** One run of pulling from the projection's durable consumer. */
export interface ConsumerSession {
  /** Whether the consumer was (re)created at checkpoint + 1 for this session. */
  readonly fresh: boolean;
  /**
   * Waits for the next message, then takes whatever else has already arrived, up to `max`, in delivery order.
   * Resolves to an empty array once the session is stopped or the subscription ends.
   */
  next(max: number, lingerMs?: number): Promise<JsMsg[]>;
  /** Stops pulling; a pending `next` resolves empty. Delivered, unacked messages stay pending on the server. */
  stop(): void;
}

/**
 * Opens the projection's durable pull consumer for an instance that holds the lease, at `checkpoint`.
 *
 * JetStream redelivers an unacked message only after `ack_wait`, and meanwhile delivers newer ones: after a
 * crash or a failed batch, the consumer would hand the projector events out of order. So unless the consumer is
 * clean (nothing in flight, nothing delivered past the checkpoint) it is deleted and re-created to start at
 * checkpoint + 1. Only the lease holder touches it, so nobody else is reading from it.
 */
export async function openConsumer(
  nats: Nats,
  names: NatsNames,
  projection: string,
  checkpoint: number,
  forceReset: boolean,
): Promise<ConsumerSession> {
  const durable = names.projectionConsumer(projection);
  const info = await nats.jsm.consumers.info(names.eventStream, durable).catch(() => undefined);
  // A consumer made with other settings (an older release acked each message) is re-created like a dirty one.
  const current = info?.config.ack_policy === projectionConsumerConfig(names, projection).ack_policy;
  const clean = info !== undefined && current && info.num_ack_pending === 0 && info.delivered.stream_seq <= checkpoint;
  const fresh = forceReset || !clean;
  if (fresh) {
    if (info) await nats.jsm.consumers.delete(names.eventStream, durable);
    await nats.jsm.consumers.add(
      names.eventStream,
      projectionConsumerConfig(names, projection, { startSeq: checkpoint + 1 }),
    );
  }
  const consumer = await nats.js.consumers.get(names.eventStream, durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 1000 });
  const iterator = messages[Symbol.asyncIterator]();
  let stopped = false;
  // A `next()` of the iterator that lost the race below: it still owns the next message, so it heads the next batch.
  let ahead: Promise<IteratorResult<JsMsg>> | undefined;
  let lastSize = 0;

  return {
    fresh,
    async next(max, lingerMs = 0) {
      if (stopped) return [];
      const first = await (ahead ?? iterator.next());
      ahead = undefined;
      if (first.done || stopped) return [];
      const batch = [first.value];
      // Take what has already arrived without waiting for more: a queued message resolves within microtasks, ahead
      // of `setImmediate`. (The iterator's own pending count also counts its internal pull requests, so it cannot
      // tell whether a message is there.) A busy stream fills the batch, a quiet one does not delay it.
      // While events flow (the last batch held more than one), wait up to `lingerMs` to fill the batch instead.
      const linger = lingerMs > 0 && lastSize > 1;
      let timer: NodeJS.Timeout | undefined;
      const deadline = linger
        ? new Promise<undefined>((resolve) => (timer = setTimeout(resolve, lingerMs, undefined)))
        : undefined;
      while (batch.length < max) {
        const pending = iterator.next();
        const more = await Promise.race([
          pending,
          deadline ?? new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined))),
        ]);
        if (more === undefined) {
          ahead = pending;
          break;
        }
        if (more.done) break;
        batch.push(more.value);
      }
      clearTimeout(timer);
      lastSize = batch.length;
      return batch;
    },
    stop() {
      stopped = true;
      messages.stop();
    },
  };
}
