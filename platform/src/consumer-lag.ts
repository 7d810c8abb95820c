import { randomBytes } from 'node:crypto';
import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';

/**
 * How far one durable consumer is behind its stream: what `cm lag`, every service's `/metrics` and `/ready`, and
 * the ops page report (issue 13), measured one way. `appliedSeq` is the consumer's checkpoint where its
 * projection keeps one (it is what readers see), else its ack floor.
 */
export interface ConsumerLag {
  stream: string;
  consumer: string;
  filter: string | undefined;
  lastSeq: number;
  appliedSeq: number;
  /** Where `appliedSeq` came from. */
  appliedFrom: 'checkpoint' | 'ack floor';
  /** Not yet delivered (the server's `num_pending`). */
  pending: number;
  ackPending: number;
  redelivered: number;
  /** Age of the oldest unapplied message (the one at appliedSeq + 1); 0 when caught up. */
  secondsBehind: number;
}

/**
 * The lag of `info`'s consumer. `checkpoint` overrides the ack floor. For a filtered consumer the next message of
 * the stream may not be its own; its age is still an upper bound of how long the consumer has been behind, and
 * only read when the server says something is pending or unacked.
 */
export async function consumerLag(
  jsm: JetStreamManager,
  info: ConsumerInfo,
  lastSeq: number,
  checkpoint?: number,
  now = Date.now(),
): Promise<ConsumerLag> {
  const appliedSeq = checkpoint ?? info.ack_floor.stream_seq;
  const behind = appliedSeq < lastSeq && (checkpoint !== undefined || info.num_pending > 0 || info.num_ack_pending > 0);
  let secondsBehind = 0;
  if (behind) {
    const next = await jsm.streams.getMessage(info.stream_name, { seq: appliedSeq + 1 }).catch(() => undefined);
    if (next) secondsBehind = Math.max(0, (now - next.time.getTime()) / 1000);
  }
  return {
    stream: info.stream_name,
    consumer: info.name,
    filter: info.config.filter_subject,
    lastSeq,
    appliedSeq,
    appliedFrom: checkpoint === undefined ? 'ack floor' : 'checkpoint',
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
    redelivered: info.num_redelivered,
    secondsBehind,
  };
}

/**
 * Names of the ordered consumers processes follow the event stream with (the rules service, the realtime
 * gateway) start with this, so `cm lag` and the ops page can tell them from the other ephemeral readers (tails,
 * replays, history reads). Each process's is its own: `follower-<role>-<pid>-<random>_<serial>`, the serial
 * growing whenever the client re-creates it after a gap.
 */
export const FOLLOWER_PREFIX = 'follower-';

/** The `name_prefix` of a process's ordered follower consumer. */
export function followerNamePrefix(role: string): string {
  return `${FOLLOWER_PREFIX}${role}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** A durable consumer, or a process's ordered follower (see FOLLOWER_PREFIX). */
export const isWatchedConsumer = (info: ConsumerInfo): boolean =>
  Boolean(info.config.durable_name) || info.name.startsWith(FOLLOWER_PREFIX);

/**
 * The lag of every durable consumer and process follower on `streams`; `checkpoints` by consumer name where a
 * projection keeps one. A follower has no checkpoint the server knows: its ack floor (acks are implicit for an
 * ordered consumer) is the last message delivered to the process.
 */
export async function streamLags(
  jsm: JetStreamManager,
  streams: readonly string[],
  checkpoints: ReadonlyMap<string, number> = new Map(),
): Promise<ConsumerLag[]> {
  const out: ConsumerLag[] = [];
  for (const stream of streams) {
    const lastSeq = (await jsm.streams.info(stream)).state.last_seq;
    for await (const info of jsm.consumers.list(stream)) {
      if (!isWatchedConsumer(info)) continue;
      out.push(await consumerLag(jsm, info, lastSeq, checkpoints.get(info.name)));
    }
  }
  return out.sort((a, b) => a.stream.localeCompare(b.stream) || a.consumer.localeCompare(b.consumer));
}
