import { Counter, Gauge, Histogram, type Registry } from '@cm/platform';

/** The gateway's Prometheus metrics (names prefixed `realtime_`). */
export function createGatewayMetrics(registry: Registry) {
  const r = [registry];
  // Written per message to every socket (10,000 per broadcast): plain additions here, moved into the
  // counters when Prometheus scrapes, instead of a prom-client call per message.
  const tally = { messages: 0, bytes: 0 };
  return {
    tally,
    clients: new Gauge({
      name: 'realtime_connected_clients',
      help: 'Open client connections',
      labelNames: ['transport'],
      registers: r,
    }),
    subscriptions: new Gauge({ name: 'realtime_subscriptions', help: 'Open subscriptions', registers: r }),
    rooms: new Gauge({ name: 'realtime_rooms', help: 'Rooms with at least one subscriber', registers: r }),
    messages: new Counter({
      name: 'realtime_messages_sent_total',
      help: 'Messages written to client connections',
      registers: r,
      collect() {
        this.inc(tally.messages);
        tally.messages = 0;
      },
    }),
    bytes: new Counter({
      name: 'realtime_bytes_sent_total',
      help: 'Bytes written to client connections (plain SSE)',
      registers: r,
      collect() {
        this.inc(tally.bytes);
        tally.bytes = 0;
      },
    }),
    coalesced: new Counter({
      name: 'realtime_coalesced_total',
      help: 'Events folded into another of the same entity by a coalescing window',
      registers: r,
    }),
    dropped: new Counter({
      name: 'realtime_dropped_total',
      help: 'Subscriptions the gateway closed, by reason',
      labelNames: ['reason'],
      registers: r,
    }),
    resumes: new Counter({
      name: 'realtime_resumes_total',
      help: 'Subscriptions that resumed after a sequence, by outcome',
      labelNames: ['outcome'],
      registers: r,
    }),
    refused: new Counter({
      name: 'realtime_refused_total',
      help: 'Subscription requests refused, by code',
      labelNames: ['code'],
      registers: r,
    }),
    graphqlExecutions: new Counter({
      name: 'realtime_graphql_executions_total',
      help: 'Subscription selections executed (once per event and distinct operation, shared by its subscribers)',
      registers: r,
    }),
    liveSeq: new Gauge({
      name: 'realtime_live_seq',
      help: 'Stream sequence of the last commit the live consumer dispatched',
      registers: r,
    }),
    fanOutLatency: new Histogram({
      name: 'realtime_fanout_latency_seconds',
      help: 'Event stored in the stream → written to the last subscriber socket',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: r,
    }),
    /** The histogram's last observation: one broadcast's own figure, which a histogram's buckets blur. */
    fanOutLast: new Gauge({
      name: 'realtime_fanout_last_seconds',
      help: 'The last live commit: event stored in the stream → written to the last subscriber socket',
      registers: r,
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
