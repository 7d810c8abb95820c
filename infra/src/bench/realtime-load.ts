import { fork } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeliverPolicy } from '@nats-io/jetstream';
import type { NatsNames } from '@cm/contracts';
import type { Nats } from '@cm/platform';
import { KeepAliveClient } from './http-client.js';
import { openLoop } from './load.js';
import { round, Samples, type LatencySummary } from './stats.js';

/** What `--only realtime` measured. */
export interface RealtimeResults {
  /** Mutation acknowledged (HTTP answer at the client) → event read from an SSE connection, open loop. */
  ackToSse: { rate: number; mutations: number; delivered: number; latencyMs: LatencySummary };
  /** Raw limit: JetStream publish acknowledged → the same message delivered to an ordered consumer, same rate. */
  rawDelivery: { rate: number; published: number; delivered: number; latencyMs: LatencySummary };
  /** N concurrent SSE subscribers of one room on one gateway process, a few broadcasts. */
  broadcast: {
    subscribers: number;
    connected: number;
    broadcasts: number;
    deliveries: number;
    /** End to end: mutation acknowledged → `id:` read by each client (the client shares the cores). */
    latencyMs: LatencySummary;
    gatewayBytesPerConnection: number;
    /** The gateway's own measure: event stored → written to the last subscriber's socket, mean per broadcast. */
    gatewayFanOutMeanMs: number;
    /** The same, per broadcast (`realtime_fanout_last_seconds` read after each), over the broadcasts. */
    gatewayFanOutMs: LatencySummary;
  };
  /**
   * Raw limit of the broadcast: plain node:net writing one Buffer to as many sockets, a process of its own, read by
   * the same client: message sent → `id:` read by each client, and its own time to the last write.
   */
  rawBroadcast: { connected: number; latencyMs: LatencySummary; lastWriteMs: LatencySummary };
}

export interface RealtimeLoadOptions {
  nats: Nats;
  names: NatsNames;
  graphqlUrl: string;
  gatewayUrl: string;
  token: string;
  rate: number;
  durationMs: number;
  subscribers: number;
  log: (s: string) => void;
}

const RENAME = 'mutation($c: ID!, $id: ID!, $n: String!) { renameKingdom(campaignId: $c, id: $id, name: $n) { seq } }';

/** A raw SSE connection that notes when each `id:` arrives; cheaper than node:http for thousands of clients. */
function sseConnection(url: URL, token: string, onId: (seq: number, at: number) => void): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    let open = false;
    socket.once('connect', () =>
      socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${token}\r\naccept: text/event-stream\r\n\r\n`,
      ),
    );
    socket.on('data', (chunk: Buffer) => {
      const at = performance.now();
      if (!open) {
        if (chunk.indexOf(HTTP_OK) !== 0)
          return reject(new Error(`SSE refused: ${chunk.toString('latin1').split('\r\n')[0]}`));
        open = true;
        resolve(socket);
      }
      // Frames are written whole and small, so a chunk holds whole `id:` lines; scanning bytes keeps 10,000
      // clients in one process cheap enough not to be what is measured.
      for (let i = chunk.indexOf(ID_LINE); i >= 0; i = chunk.indexOf(ID_LINE, i + 1)) {
        let seq = 0;
        for (let j = i + ID_LINE.length; j < chunk.length && chunk[j]! >= 48 && chunk[j]! <= 57; j++)
          seq = seq * 10 + chunk[j]! - 48;
        onId(seq, at);
      }
    });
    socket.once('error', reject);
  });
}

const HTTP_OK = Buffer.from('HTTP/1.1 200');
/** About the size of a broadcast's `data:` line (a KingdomRenamed update). */
const RAW_DATA_BYTES = 230;
const ID_LINE = Buffer.from('id: ');

const metric = async (base: string, name: string): Promise<number> => {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return Number(line?.split(' ').pop());
};

/**
 * The realtime gateway's latency and fan-out, each next to its raw limit: mutation ack → SSE client at a fixed
 * rate (beside JetStream publish ack → ordered-consumer delivery at the same rate), and one room broadcast to
 * many SSE subscribers of one gateway process (its p99 over every subscriber, and gateway memory per connection).
 */
export async function measureRealtime(opts: RealtimeLoadOptions): Promise<RealtimeResults> {
  const { log } = opts;
  const gql = new KeepAliveClient(new URL(opts.graphqlUrl).origin, 64);
  const headers = { authorization: `Bearer ${opts.token}`, accept: 'application/json' };
  const call = async (query: string, variables: Record<string, unknown>) => {
    const res = await gql.request(
      'POST',
      new URL(opts.graphqlUrl).pathname,
      JSON.stringify({ query, variables }),
      headers,
    );
    const body = JSON.parse(res.body) as {
      data?: Record<string, { seq: number }>;
      errors?: { extensions?: { code?: string } }[];
    };
    if (body.errors?.length) throw new Error(body.errors[0]?.extensions?.code ?? 'GRAPHQL_ERROR');
    return Object.values(body.data ?? {})[0]!.seq;
  };
  const sockets: net.Socket[] = [];
  try {
    const campaign = 'bench-realtime';
    await call('mutation($id: ID!, $n: String!) { createCampaign(id: $id, name: $n) { seq } }', {
      id: campaign,
      n: campaign,
    });
    const KINGDOMS = 64;
    for (let k = 0; k < KINGDOMS; k++)
      await call(
        'mutation($c: ID!, $id: ID!, $n: String!) { createKingdom(campaignId: $c, id: $id, name: $n) { seq } }',
        { c: campaign, id: `k${k}`, n: `k${k}` },
      );

    // 1. Mutation ack → SSE, open loop.
    log(`realtime: mutation ack → SSE client at ${opts.rate}/s for ${opts.durationMs} ms`);
    const received = new Map<number, number>();
    const acked = new Map<number, number>();
    const stream = new URL(`${opts.gatewayUrl}/events?campaign=${campaign}&coalesce=0`);
    sockets.push(await sseConnection(stream, opts.token, (seq, at) => received.set(seq, at)));
    const load = await openLoop({
      rate: opts.rate,
      durationMs: opts.durationMs,
      op: async (i) => {
        const seq = await call(RENAME, { c: campaign, id: `k${i % KINGDOMS}`, n: `n${i}` });
        acked.set(seq, performance.now());
      },
    });
    await sleep(1000);
    const ackToSse = new Samples();
    for (const [seq, at] of acked) {
      const got = received.get(seq);
      if (got !== undefined) ackToSse.add(Math.max(0, got - at));
    }

    // 2. Raw limit: JetStream publish ack → ordered consumer delivery, same rate, a stream of its own.
    log(`realtime: raw JetStream publish ack → ordered consumer at ${opts.rate}/s`);
    const rawStream = `${opts.names.eventStream}_RAWRT`;
    const rawSubject = `${opts.names.prefix}.rawrt.x`;
    await opts.nats.jsm.streams.add({ name: rawStream, subjects: [`${opts.names.prefix}.rawrt.>`] });
    const rawAcked = new Map<number, number>();
    const rawReceived = new Map<number, number>();
    const consumer = await opts.nats.js.consumers.get(rawStream, { deliver_policy: DeliverPolicy.All });
    const messages = await consumer.consume({ max_messages: 1000 });
    const consuming = (async () => {
      for await (const m of messages) rawReceived.set(m.seq, performance.now());
    })();
    const payload = new TextEncoder().encode(
      JSON.stringify({
        commitId: 'x'.repeat(36),
        events: [{ type: 'KingdomRenamed', data: { name: 'n'.repeat(12) }, metadata: { userId: 'bench' } }],
      }).padEnd(400),
    );
    const raw = await openLoop({
      rate: opts.rate,
      durationMs: opts.durationMs,
      op: async () => {
        const ack = await opts.nats.js.publish(rawSubject, payload);
        rawAcked.set(ack.seq, performance.now());
      },
    });
    await sleep(1000);
    messages.stop();
    await consuming;
    await opts.nats.jsm.streams.delete(rawStream);
    const rawSamples = new Samples();
    for (const [seq, at] of rawAcked) {
      const got = rawReceived.get(seq);
      if (got !== undefined) rawSamples.add(Math.max(0, got - at));
    }

    // 3. Broadcast to many SSE subscribers of one room.
    for (const s of sockets.splice(0)) s.destroy();
    await sleep(500);
    const rssBefore = await metric(opts.gatewayUrl, 'process_resident_memory_bytes');
    log(`realtime: opening ${opts.subscribers} SSE connections (gateway RSS ${Math.round(rssBefore / 2 ** 20)} MiB)`);
    const arrivals = new Map<number, number[]>();
    const onId = (seq: number, at: number) => {
      let list = arrivals.get(seq);
      if (!list) arrivals.set(seq, (list = []));
      list.push(at);
    };
    for (let opened = 0; opened < opts.subscribers;) {
      const batch = Math.min(250, opts.subscribers - opened);
      const results = await Promise.allSettled(
        Array.from({ length: batch }, () => sseConnection(stream, opts.token, onId)),
      );
      for (const r of results) if (r.status === 'fulfilled') sockets.push(r.value);
      opened += batch;
    }
    await sleep(2000);
    const rssAfter = await metric(opts.gatewayUrl, 'process_resident_memory_bytes');
    log(`realtime: ${sockets.length} connected (gateway RSS ${Math.round(rssAfter / 2 ** 20)} MiB); broadcasting`);
    const broadcast = new Samples();
    const BROADCASTS = 5;
    const gatewayFanOut = new Samples();
    // One unmeasured broadcast first, here and in the raw limit: the first pass over 10,000 sockets runs colder code.
    for (let b = -1; b < BROADCASTS; b++) {
      const seq = await call(RENAME, { c: campaign, id: 'k0', n: `broadcast${b}` });
      const at = performance.now();
      const deadline = Date.now() + 10_000;
      while ((arrivals.get(seq)?.length ?? 0) < sockets.length && Date.now() < deadline) await sleep(20);
      if (b >= 0) {
        for (const t of arrivals.get(seq) ?? []) broadcast.add(Math.max(0, t - at));
        gatewayFanOut.add((await metric(opts.gatewayUrl, 'realtime_fanout_last_seconds')) * 1000);
      }
      await sleep(500);
    }
    const connected = sockets.length;
    for (const s of sockets.splice(0)) s.destroy();

    // 4. Raw limit of the broadcast: the same client, the same number of sockets, plain node:net behind them.
    const rawFanOut = await rawBroadcast(opts.subscribers, BROADCASTS, opts.token, log);
    return {
      ackToSse: {
        rate: round(load.rate),
        mutations: acked.size,
        delivered: ackToSse.count,
        latencyMs: ackToSse.summary(),
      },
      rawDelivery: {
        rate: round(raw.rate),
        published: rawAcked.size,
        delivered: rawSamples.count,
        latencyMs: rawSamples.summary(),
      },
      broadcast: {
        subscribers: opts.subscribers,
        connected,
        broadcasts: BROADCASTS,
        deliveries: broadcast.count,
        latencyMs: broadcast.summary(),
        gatewayBytesPerConnection: Math.round((rssAfter - rssBefore) / Math.max(1, connected)),
        gatewayFanOutMeanMs: gatewayFanOut.summary().mean,
        gatewayFanOutMs: gatewayFanOut.summary(),
      },
      rawBroadcast: rawFanOut,
    };
  } finally {
    for (const s of sockets) s.destroy();
    gql.close();
  }
}

/** Broadcasts to `subscribers` sockets of `raw-sse-fanout.js` in a child process, read by this process's client. */
async function rawBroadcast(
  subscribers: number,
  broadcasts: number,
  token: string,
  log: (s: string) => void,
): Promise<RealtimeResults['rawBroadcast']> {
  const child = fork(new URL('./raw-sse-fanout.js', import.meta.url), {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const replies: ((m: { port?: number; lastWriteMs?: number }) => void)[] = [];
  child.on('message', (m: { port?: number; lastWriteMs?: number }) => replies.shift()?.(m));
  const reply = () => new Promise<{ port?: number; lastWriteMs?: number }>((resolve) => replies.push(resolve));
  const sockets: net.Socket[] = [];
  try {
    const { port } = await reply();
    log(`realtime: raw limit, ${subscribers} connections to plain node:net on port ${port}`);
    const arrivals = new Map<number, number[]>();
    const url = new URL(`http://127.0.0.1:${port}/events`);
    for (let opened = 0; opened < subscribers;) {
      const batch = Math.min(250, subscribers - opened);
      const results = await Promise.allSettled(
        Array.from({ length: batch }, () =>
          sseConnection(url, token, (seq, at) => {
            let list = arrivals.get(seq);
            if (!list) arrivals.set(seq, (list = []));
            list.push(at);
          }),
        ),
      );
      for (const r of results) if (r.status === 'fulfilled') sockets.push(r.value);
      opened += batch;
    }
    await sleep(2000);
    const latency = new Samples();
    const lastWrite = new Samples();
    for (let b = -1; b < broadcasts; b++) {
      const seq = 1_000_000 + b;
      const answered = reply();
      const at = performance.now();
      child.send({ seq, dataBytes: RAW_DATA_BYTES });
      const { lastWriteMs } = await answered;
      const deadline = Date.now() + 10_000;
      while ((arrivals.get(seq)?.length ?? 0) < sockets.length && Date.now() < deadline) await sleep(20);
      if (b >= 0) {
        lastWrite.add(lastWriteMs!);
        for (const t of arrivals.get(seq) ?? []) latency.add(Math.max(0, t - at));
      }
      await sleep(500);
    }
    return { connected: sockets.length, latencyMs: latency.summary(), lastWriteMs: lastWrite.summary() };
  } finally {
    for (const s of sockets) s.destroy();
    child.kill();
  }
}
