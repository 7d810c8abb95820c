import { randomUUID } from 'node:crypto';
import { KeepAliveClient } from './http-client.js';
import type { CpuSnapshot } from './cpu.js';
import { closedLoop, openLoop, type LoadResult } from './load.js';

export interface GraphqlResults {
  health64: LoadResult;
  trivial64: LoadResult;
  mutations64: LoadResult;
  openLoopTrivial: LoadResult & { targetRate: number };
  openLoopMutations: LoadResult & { targetRate: number };
  /** The same mutation selecting the created entity, so each waits until the read model has it. */
  openLoopReadYourWrites: LoadResult & { targetRate: number };
}

export interface GraphqlLoadOptions {
  graphqlUrl: string;
  token: string;
  durationMs: number;
  openLoopMs: number;
  openLoopRate: number;
  /** Waits until the projections have applied everything written so far, so phases do not overlap. */
  settle: () => Promise<void>;
  log: (s: string) => void;
  /** Samples the CPU time of the system's processes, for CPU per request. */
  cpu?: () => CpuSnapshot;
}

type Gql = (query: string, variables?: Record<string, unknown>) => Promise<string | void>;

/** A GraphQL POST that resolves to nothing on success, or to the error kind (HTTP status or `extensions.code`). */
function graphqlCaller(client: KeepAliveClient, path: string, token: string): Gql {
  const headers = { authorization: `Bearer ${token}`, accept: 'application/graphql-response+json, application/json' };
  return async (query, variables = {}) => {
    const res = await client.request('POST', path, JSON.stringify({ query, variables }), headers);
    if (res.status !== 200) return `HTTP ${res.status}`;
    const body = JSON.parse(res.body) as { errors?: { extensions?: { code?: string } }[] };
    if (body.errors?.length) return body.errors[0]?.extensions?.code ?? 'GRAPHQL_ERROR';
  };
}

const CREATE_KINGDOM =
  'mutation($c: ID!, $id: ID!, $name: String!) { createKingdom(campaignId: $c, id: $id, name: $name) { seq commitId } }';
/** What a UI usually sends: the result selects the entity, so the answer waits until the projection applied it. */
const CREATE_KINGDOM_READ_BACK =
  'mutation($c: ID!, $id: ID!, $name: String!) { createKingdom(campaignId: $c, id: $id, name: $name) { seq kingdom { id name } } }';

/**
 * GraphQL over HTTP as a client sees it: mutations per second with 64 concurrent keep-alive connections, and the
 * latency of a fixed open-loop rate; each next to the same measurement of a trivial query (`{ __typename }`,
 * no resolver, no I/O) and of `/health`, the raw limit of the HTTP path on this machine.
 */
export async function measureGraphql(opts: GraphqlLoadOptions): Promise<GraphqlResults> {
  const { log } = opts;
  const url = new URL(opts.graphqlUrl);
  const client = new KeepAliveClient(url.origin, 64);
  const gql = graphqlCaller(client, url.pathname, opts.token);
  try {
    const campaignId = `bench-gql-${randomUUID().slice(0, 8)}`;
    const setup = await gql('mutation($id: ID!) { createCampaign(id: $id, name: "GraphQL benchmark") { seq } }', {
      id: campaignId,
    });
    if (setup) throw new Error(`cannot create the GraphQL benchmark campaign: ${setup}`);
    const trivial = () => gql('{ __typename }');
    const createKingdom = (i: number) => gql(CREATE_KINGDOM, { c: campaignId, id: `g${i}`, name: `Kingdom ${i}` });

    log('HTTP GET /health of query-service, 64 connections');
    const health64 = await closedLoop({
      concurrency: 64,
      cpu: opts.cpu,
      durationMs: opts.durationMs / 2,
      warmupMs: 500,
      op: async () => {
        const r = await client.request('GET', '/health');
        if (r.status !== 200) return `HTTP ${r.status}`;
      },
    });
    log(`  ${health64.rate} req/s, p50 ${health64.latencyMs.p50} ms`);
    if (health64.cpu) log(`  CPU µs per request ${JSON.stringify(health64.cpu.usPerOp)}`);
    log('GraphQL trivial query { __typename }, 64 connections');
    const trivial64 = await closedLoop({
      concurrency: 64,
      durationMs: opts.durationMs,
      warmupMs: 500,
      op: trivial,
      cpu: opts.cpu,
    });
    log(`  ${trivial64.rate} req/s, p50 ${trivial64.latencyMs.p50} ms, p99 ${trivial64.latencyMs.p99} ms`);
    if (trivial64.cpu) log(`  CPU µs per request ${JSON.stringify(trivial64.cpu.usPerOp)}`);

    log('GraphQL mutations (createKingdom), 64 connections');
    const mutations64 = await closedLoop({
      concurrency: 64,
      durationMs: opts.durationMs,
      warmupMs: 1000,
      op: createKingdom,
      cpu: opts.cpu,
    });
    log(
      `  ${mutations64.rate} mutations/s, p50 ${mutations64.latencyMs.p50} ms, p99 ${mutations64.latencyMs.p99} ms, ${mutations64.errors} errors ${JSON.stringify(mutations64.errorKinds)}`,
    );
    if (mutations64.cpu)
      log(
        `  CPU µs per mutation ${JSON.stringify(mutations64.cpu.usPerOp)}, machine ${Math.round(mutations64.cpu.busyShare * 100)}% busy`,
      );
    await opts.settle();

    const openClient = new KeepAliveClient(url.origin, 512);
    const openGql = graphqlCaller(openClient, url.pathname, opts.token);
    try {
      // Warm the open-loop connections, so the first scheduled requests do not pay for TCP set-up.
      await closedLoop({ concurrency: 32, durationMs: 300, op: () => openGql('{ __typename }') });
      log(`GraphQL trivial query, open loop at ${opts.openLoopRate}/s for ${opts.openLoopMs / 2000} s`);
      const openLoopTrivial = await openLoop({
        rate: opts.openLoopRate,
        durationMs: opts.openLoopMs / 2,
        op: () => openGql('{ __typename }'),
      });
      log(
        `  p50 ${openLoopTrivial.latencyMs.p50} ms, p99 ${openLoopTrivial.latencyMs.p99} ms, ${openLoopTrivial.rate}/s`,
      );
      log(`GraphQL mutations, open loop at ${opts.openLoopRate}/s for ${opts.openLoopMs / 1000} s`);
      const openLoopMutations = await openLoop({
        rate: opts.openLoopRate,
        durationMs: opts.openLoopMs,
        op: (i) => openGql(CREATE_KINGDOM, { c: campaignId, id: `o${i}`, name: `Kingdom ${i}` }),
      });
      log(
        `  p50 ${openLoopMutations.latencyMs.p50} ms, p99 ${openLoopMutations.latencyMs.p99} ms, ${openLoopMutations.rate}/s, ${openLoopMutations.errors} errors`,
      );
      log(
        `GraphQL mutations selecting the created entity (read-your-writes), open loop at ${opts.openLoopRate}/s for ${opts.openLoopMs / 2000} s`,
      );
      const openLoopReadYourWrites = await openLoop({
        rate: opts.openLoopRate,
        durationMs: opts.openLoopMs / 2,
        op: (i) => openGql(CREATE_KINGDOM_READ_BACK, { c: campaignId, id: `ryw${i}`, name: `Kingdom ${i}` }),
      });
      log(
        `  p50 ${openLoopReadYourWrites.latencyMs.p50} ms, p99 ${openLoopReadYourWrites.latencyMs.p99} ms, ${openLoopReadYourWrites.rate}/s, ${openLoopReadYourWrites.errors} errors`,
      );
      return { health64, trivial64, mutations64, openLoopTrivial, openLoopMutations, openLoopReadYourWrites };
    } finally {
      openClient.close();
    }
  } finally {
    client.close();
  }
}
