import type { JetStreamManager } from '@nats-io/jetstream';
import { Gauge, type Registry } from 'prom-client';
import { consumerLag, type ConsumerLag } from './consumer-lag.js';
import type { ReadinessCheck } from './ops-http.js';

/** A consumer a service owns, and the checkpoint its projection keeps, if it keeps one. */
export interface WatchedConsumer {
  stream: string;
  /** The `consumer` label; also the server's name of a durable consumer. */
  consumer: string;
  /**
   * The server's name when it is not `consumer`: an ordered consumer's, which the client re-creates under a new
   * name after a gap (undefined while it has none).
   */
  serverName?: () => Promise<string | undefined>;
  checkpoint?: () => number | undefined;
}

/** Samples are shared by every gauge of one scrape (and `/ready`): one round of server requests each. */
const SAMPLE_TTL_MS = 1000;

/**
 * The lag of a service's consumers on `/metrics` (issue 13): pending, ack pending, redelivered, applied sequence
 * and seconds behind, per stream and consumer, sampled from the server when scraped. Every service registers its
 * own consumers; the figures are the same ones `cm lag` shows.
 */
export class ConsumerLagMetrics {
  private static readonly byRegistry = new WeakMap<Registry, ConsumerLagMetrics>();
  private sample: { at: number; lags: Promise<ConsumerLag[]> } | undefined;
  private readonly consumers: WatchedConsumer[];

  /** The registry's instance, `consumers` added: several projections of one process share the gauges. */
  static watch(jsm: JetStreamManager, registry: Registry, consumers: readonly WatchedConsumer[]): ConsumerLagMetrics {
    const existing = ConsumerLagMetrics.byRegistry.get(registry);
    if (!existing) return new ConsumerLagMetrics(jsm, consumers, registry);
    existing.consumers.push(...consumers);
    existing.sample = undefined;
    return existing;
  }

  constructor(
    private readonly jsm: JetStreamManager,
    consumers: readonly WatchedConsumer[],
    registry: Registry,
  ) {
    this.consumers = [...consumers];
    ConsumerLagMetrics.byRegistry.set(registry, this);
    const labelNames = ['stream', 'consumer'] as const;
    const gauge = (name: string, help: string, pick: (l: ConsumerLag) => number) => {
      const self = this;
      return new Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        async collect() {
          this.reset();
          for (const l of await self.lags().catch(() => []))
            this.set({ stream: l.stream, consumer: l.consumer }, pick(l));
        },
      });
    };
    gauge('cm_consumer_pending_messages', 'Messages of the stream not yet delivered to the consumer', (l) => l.pending);
    gauge(
      'cm_consumer_ack_pending_messages',
      'Messages delivered to the consumer and not yet acknowledged',
      (l) => l.ackPending,
    );
    gauge(
      'cm_consumer_redelivered_messages',
      'Messages the server is redelivering to the consumer',
      (l) => l.redelivered,
    );
    gauge(
      'cm_consumer_applied_seq',
      'Last stream sequence the consumer applied (its checkpoint, else its ack floor)',
      (l) => l.appliedSeq,
    );
    gauge('cm_consumer_stream_last_seq', "Last sequence of the consumer's stream", (l) => l.lastSeq);
    gauge(
      'cm_consumer_seconds_behind',
      'Age of the oldest message the consumer has not applied (0 when caught up)',
      (l) => l.secondsBehind,
    );
  }

  /**
   * A readiness check failing while `consumer` is more than `maxSeconds` behind (`setting` names the variable
   * that set it, for the operator); none when `maxSeconds` is 0.
   */
  readiness(name: string, consumer: string, maxSeconds: number, setting: string): ReadinessCheck[] {
    if (!(maxSeconds > 0)) return [];
    return [
      {
        name,
        check: async () => {
          const l = (await this.lags()).find((x) => x.consumer === consumer);
          if (!l) throw new Error(`consumer ${consumer} not found`);
          if (l.secondsBehind > maxSeconds)
            throw new Error(`${consumer} ${l.secondsBehind.toFixed(1)} s behind (over ${setting}=${maxSeconds})`);
          return { secondsBehind: l.secondsBehind, appliedSeq: l.appliedSeq, lastSeq: l.lastSeq };
        },
      },
    ];
  }

  /** The current lag of every watched consumer (sampled at most once a second). */
  lags(): Promise<ConsumerLag[]> {
    const now = Date.now();
    if (!this.sample || now - this.sample.at > SAMPLE_TTL_MS) {
      const lags = this.measure();
      this.sample = { at: now, lags };
      lags.catch(() => (this.sample = undefined));
    }
    return this.sample.lags;
  }

  private async measure(): Promise<ConsumerLag[]> {
    const out: ConsumerLag[] = [];
    const lastSeqs = new Map<string, number>();
    for (const c of this.consumers) {
      let lastSeq = lastSeqs.get(c.stream);
      if (lastSeq === undefined) {
        lastSeq = (await this.jsm.streams.info(c.stream)).state.last_seq;
        lastSeqs.set(c.stream, lastSeq);
      }
      const name = c.serverName ? await c.serverName().catch(() => undefined) : c.consumer;
      const info = name ? await this.jsm.consumers.info(c.stream, name).catch(() => undefined) : undefined;
      if (info) out.push({ ...(await consumerLag(this.jsm, info, lastSeq, c.checkpoint?.())), consumer: c.consumer });
    }
    return out;
  }
}
