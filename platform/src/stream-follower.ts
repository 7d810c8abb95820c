import { DeliverPolicy, type Consumer, type ConsumerMessages } from '@nats-io/jetstream';
import type { Registry } from 'prom-client';
import { FOLLOWER_PREFIX, followerNamePrefix } from './consumer-lag.js';
import { ConsumerLagMetrics } from './consumer-lag.metrics.js';
import type { Nats } from './nats.js';
import type { ReadinessCheck } from './ops-http.js';
import { ProjectionApplyMetrics } from './projection.metrics.js';

export interface StreamFollowerOptions {
  stream: string;
  /** One subject filter (NATS 2.9). */
  filter: string;
  /** `rules`, `gateway`: the `projection` label, and part of the consumer's name. */
  role: string;
  registry: Registry;
  /** The last sequence the process has applied: its checkpoint, which seconds behind is measured from. */
  appliedSeq: () => number;
  /** `/ready` fails while the follower is more than this many seconds behind (0: never for lag). */
  maxLagSeconds: number;
  /** The variable that set `maxLagSeconds`, named in the readiness failure. */
  maxLagSetting: string;
  /** Messages the client asks for at once (default 1000). */
  maxMessages?: number;
}

/**
 * A process's own ordered consumer on a stream (ephemeral, flow-controlled, re-created by the client after a
 * gap), observed like a durable one (issue 13): its pending, redelivered, applied sequence and seconds behind on
 * `/metrics` under the consumer label `follower-<role>`, events applied, batch (= commit) sizes and apply time
 * under the projection label `<role>`, and a `/ready` check past `maxLagSeconds`. Its server-side name starts
 * with FOLLOWER_PREFIX, so `cm lag` lists each process's follower beside the durable consumers.
 */
export class StreamFollower {
  readonly label: string;
  readonly checks: ReadinessCheck[];
  private consumer: Consumer | undefined;
  private readonly apply: ProjectionApplyMetrics;

  constructor(
    private readonly nats: Nats,
    private readonly opts: StreamFollowerOptions,
  ) {
    this.label = `${FOLLOWER_PREFIX}${opts.role}`;
    this.apply = ProjectionApplyMetrics.of(opts.registry);
    const lag = ConsumerLagMetrics.watch(nats.jsm, opts.registry, [
      {
        stream: opts.stream,
        consumer: this.label,
        // The cached info: a fresh `info()` would race the client's re-creation and could bring back the old name.
        serverName: async () => (this.consumer ? (await this.consumer.info(true))?.name : undefined),
        checkpoint: opts.appliedSeq,
      },
    ]);
    this.checks = lag.readiness(`${opts.role}-lag`, this.label, opts.maxLagSeconds, opts.maxLagSetting);
  }

  /** Starts following at `fromSeq`; the caller iterates the messages and reports each commit with `applied`. */
  async open(fromSeq: number): Promise<ConsumerMessages> {
    this.consumer = await this.nats.js.consumers.get(this.opts.stream, {
      name_prefix: followerNamePrefix(this.opts.role),
      filter_subjects: this.opts.filter,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(1, fromSeq),
    });
    return this.consumer.consume({ max_messages: this.opts.maxMessages ?? 1000 });
  }

  /** One commit of `events` applied, begun at `startedMs` (`performance.now()`). */
  applied(events: number, startedMs: number): void {
    this.apply.applied(this.opts.role, events, startedMs);
  }
}
