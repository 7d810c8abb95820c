import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, ErrorCode, natsNames } from '@cm/contracts';
import { closeNats, connectNats, createLogger, createMetrics, Lifecycle, runMain, StreamFollower } from '@cm/platform';
import { loadRealtimeConfig, type Listener } from './config.js';
import { followLive, readCommits, streamBounds } from './event-stream.adapter.js';
import { Gateway } from './gateway.js';
import { createGatewayMetrics } from './gateway.metrics.js';
import { createGraphqlSseHandler } from './graphql-sse.adapter.js';
import { createHttpServer, type Route } from './http-server.js';
import { liveRoutes } from './live-page.js';
import { loadMembers } from './membership.pg.js';
import { createSseHandler } from './sse.adapter.js';

const SERVICE = 'realtime-gateway';

const protocolsOf = (l: Listener) => (l.kind === 'tls' ? (l.http2 ? 'tls-h2' : 'tls') : l.kind);
const PROTOCOLS = {
  http1: 'HTTP/1.1',
  h2c: 'HTTP/1.1 and cleartext HTTP/2 (prior knowledge)',
  tls: 'HTTP/1.1 over TLS',
  'tls-h2': 'HTTP/2 and HTTP/1.1 over TLS (ALPN)',
} as const;

// DESIGN §6: one live consumer per process fans out to rooms in memory; resumes replay from the stream.
runMain(async () => {
  const config = loadRealtimeConfig();
  const logger = createLogger(SERVICE, config);
  const lifecycle = new Lifecycle(logger, config.SHUTDOWN_TIMEOUT_MS);
  lifecycle.installSignalHandlers();
  const names = natsNames(config.CM_NAMESPACE);
  const nats = await connectNats(config.NATS_URL, SERVICE, logger);
  lifecycle.onStop('nats', () => closeNats(nats));

  const registry = createMetrics(SERVICE);
  const metrics = createGatewayMetrics(registry);
  const gateway = new Gateway(
    names,
    {
      bounds: () => streamBounds(nats, names),
      read: (filter, from, upto) => readCommits(nats, names, filter, from, upto),
    },
    {
      coalesceMs: config.REALTIME_COALESCE_MS,
      maxHeld: config.REALTIME_QUEUE_MAX_MESSAGES,
      maxConnections: config.REALTIME_MAX_CONNECTIONS,
      maxConnectionsPerUser: config.REALTIME_MAX_CONNECTIONS_PER_USER,
    },
    metrics,
    logger,
  );

  // The live consumer's lag on /metrics and /ready, like every projection's (issue 13).
  const follower = new StreamFollower(nats, {
    stream: names.eventStream,
    filter: names.eventWildcard,
    role: 'gateway',
    registry,
    appliedSeq: () => gateway.liveSeq,
    maxLagSeconds: config.REALTIME_READY_MAX_LAG_SECONDS,
    maxLagSetting: 'REALTIME_READY_MAX_LAG_SECONDS',
  });

  const sse = createSseHandler(
    gateway,
    {
      jwtSecret: config.JWT_SECRET,
      maxQueueBytes: config.REALTIME_QUEUE_MAX_BYTES,
      maxQueueMessages: config.REALTIME_QUEUE_MAX_MESSAGES,
      heartbeatMs: config.REALTIME_HEARTBEAT_MS,
      retryMs: config.REALTIME_RETRY_MS,
    },
    metrics,
  );
  const graphql = createGraphqlSseHandler(
    gateway,
    { jwtSecret: config.JWT_SECRET, maxQueueBytes: config.REALTIME_QUEUE_MAX_BYTES },
    metrics,
  );
  // Until membership is loaded and the live consumer runs, a subscription could be refused or miss events, so
  // it waits (a browser's EventSource gives up for good on an error status, so refusing would strand it).
  let following = false;
  let followed!: () => void;
  const attached = new Promise<void>((resolve) => (followed = resolve));
  const whenFollowing =
    (route: Route): Route =>
    async (req, res, url) => {
      if (!following) await Promise.race([attached, sleep(30_000)]);
      if (!following) throw new AppError(ErrorCode.UNAVAILABLE, 'the gateway is still attaching to the event stream');
      return route(req, res, url);
    };
  const routes: Record<string, Route> = { 'GET /events': whenFollowing(sse.handle) };
  for (const method of ['GET', 'POST', 'PUT', 'DELETE']) routes[`${method} /graphql/stream`] = whenFollowing(graphql);
  if (config.REALTIME_LIVE_PAGE) Object.assign(routes, liveRoutes(config.JWT_SECRET));

  const { server, close: closeServer } = createHttpServer({
    ops: {
      service: SERVICE,
      registry,
      accepting: () => lifecycle.accepting,
      checks: [
        { name: 'nats', check: async () => ({ rttMs: await nats.nc.rtt() }) },
        {
          name: 'event stream',
          check: async () => {
            if (!following) throw new Error(`waiting for stream ${names.eventStream}`);
            return { liveSeq: gateway.liveSeq };
          },
        },
        ...follower.checks,
      ],
    },
    routes,
    corsOrigins: config.REALTIME_CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    listener: config.listener,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.REALTIME_PORT, config.REALTIME_HOST, resolve);
  });
  logger.info(
    {
      port: config.REALTIME_PORT,
      protocols: PROTOCOLS[protocolsOf(config.listener)],
      livePage: config.REALTIME_LIVE_PAGE,
    },
    'realtime gateway listening (/events, /graphql/stream, /health, /ready, /metrics)',
  );
  // Registered last so it runs first: tell open streams to reconnect (with their last seq), stop the server,
  // then the live consumer and NATS.
  lifecycle.onStop('streams and http server', async () => {
    sse.stop();
    gateway.closeAll();
    await closeServer();
  });

  // The command service creates the stream; a gateway started first waits for it (not ready meanwhile).
  let head: number | undefined;
  while (head === undefined && lifecycle.accepting) {
    head = await streamBounds(nats, names).then(
      (b) => b.last,
      () => undefined,
    );
    if (head === undefined) {
      logger.info({ stream: names.eventStream }, 'waiting for the event stream');
      await sleep(1000);
    }
  }
  if (head === undefined) return;

  // Membership: the read model's snapshot, then the member events it had not applied yet, up to the stream
  // head the live consumer starts after; from there the live stream keeps it current.
  const snapshot = await loadMembers(config.DATABASE_URL, config.DATABASE_SCHEMA);
  for (const m of snapshot.members) gateway.membership.set(m.campaignId, m.userId, m.role);
  for await (const commit of readCommits(
    nats,
    names,
    `${names.prefix}.evt.*.*.campaign.*`,
    snapshot.checkpoint + 1,
    head,
  )) {
    for (const event of commit.events) gateway.membership.apply(event);
  }
  gateway.liveSeq = head;
  const live = await followLive(
    follower,
    head,
    (c) => gateway.dispatch(c),
    (seq, e) => {
      // One commit that cannot be decoded or dispatched must not stop every stream: logged and skipped.
      logger.error({ err: e, seq }, 'could not dispatch a commit');
      gateway.liveSeq = Math.max(gateway.liveSeq, seq);
    },
  );
  void live.done.catch((e: unknown) => {
    logger.fatal({ err: e }, 'the live consumer failed; exiting so the process is restarted');
    process.exit(1);
  });
  lifecycle.onStop('live consumer', () => live.stop());
  following = true;
  followed();
  logger.info(
    { head, campaigns: gateway.membership.campaigns, membersFromReadModel: snapshot.members.length },
    'following the event stream',
  );
});
