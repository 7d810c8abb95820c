// `npm run bench -- --only history`: the first page of `entityHistory` for an aggregate with 10,000 events, over
// GraphQL (p99, target ≤ 20 ms), beside the raw limit measured in the same run: one direct get of the
// aggregate's subject, which is what each commit of the page costs at the bottom. The history request to the
// command service (the fold without HTTP and GraphQL) sits between the two.
import { type HistoryReply } from '@cm/contracts';
import { sendCommand } from './command-load.js';
import { closedLoop } from './load.js';
import { row } from './report.js';
import { runBench } from './runner.js';
import { waitForProjections } from './settle.js';

const EVENTS = 10_000;
const PAGE = 20;

export async function runHistoryBench(log: (s: string) => void, durationMs: number): Promise<number> {
  return runBench({ name: 'history', label: 'bhist', log }, async ({ nn, ...ctx }) => {
    const system = await ctx.start({ services: ['command-service', 'query-service'] });
    const n = await ctx.nats();
    const campaignId = 'history';
    // sendCommand acts as bench-user, who becomes the campaign's owner and so may read its history.
    for (const [type, id, payload] of [
      ['campaign.create', campaignId, { name: 'History bench' }],
      ['kingdom.create', 'hot', { name: 'Renamed 0' }],
    ] as const) {
      const reply = await sendCommand(n, nn, type, campaignId, id, payload);
      if (!reply.ok) throw new Error(`${type}: ${reply.error.message}`);
    }
    log(`writing ${EVENTS - 1} renames of one kingdom`);
    const written = await closedLoop({
      concurrency: 16,
      durationMs: 600_000,
      maxOps: EVENTS - 1,
      op: async (i) => {
        const reply = await sendCommand(n, nn, 'kingdom.rename', campaignId, 'hot', { name: `Renamed ${i + 1}` });
        if (!reply.ok) throw new Error(reply.error.code);
      },
    });
    if (written.ok !== EVENTS - 1)
      throw new Error(`only ${written.ok} renames succeeded: ${JSON.stringify(written.errorKinds)}`);

    const address = { campaignId, branchId: 'main', entityType: 'kingdom' as const, entityId: 'hot' };
    const subject = nn.eventSubject(address);
    const token = await system.token('bench-user');
    const query = JSON.stringify({
      query: `query($c: ID!) { entityHistory(campaignId: $c, entityType: KINGDOM, entityId: "hot", first: ${PAGE}) { endCursor entries { event { seq type userId } changes { field before after } } } }`,
      variables: { c: campaignId },
    });
    // Measure the history, not the projector catching up with the renames beside it on the same cores.
    await waitForProjections(n, nn, 600_000, log);
    // The campaign's membership comes from the read model: wait until it has the campaign.
    for (let i = 0; i < 600; i += 1) {
      const r = await fetch(system.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: query,
      });
      const body = (await r.json()) as { data?: { entityHistory?: { entries: unknown[] } } };
      if (body.data?.entityHistory?.entries.length === PAGE) break;
      await new Promise((res) => setTimeout(res, 100));
    }

    log('raw: direct get of the aggregate subject, 1 in flight');
    const raw = await closedLoop({
      concurrency: 1,
      durationMs,
      warmupMs: 500,
      op: async () => {
        const m = await n.jsm.direct.getMessage(nn.eventStream, { seq: 1, next_by_subj: subject });
        if (!m) return 'MISSING';
      },
    });
    log(`  p50 ${raw.latencyMs.p50} ms, p99 ${raw.latencyMs.p99} ms`);
    log(`history request to the command service (first ${PAGE}), 1 in flight`);
    const request = JSON.stringify({ op: 'history', address, after: 0, first: PAGE });
    const fold = await closedLoop({
      concurrency: 1,
      durationMs,
      warmupMs: 500,
      op: async () => {
        const reply = (await n.nc.request(nn.historySubject, request, { timeout: 5_000 })).json<
          HistoryReply<{ entries: unknown[] }>
        >();
        if (!reply.ok) return reply.error.code;
        if (reply.result.entries.length !== PAGE) return 'SHORT_PAGE';
      },
    });
    log(`  p50 ${fold.latencyMs.p50} ms, p99 ${fold.latencyMs.p99} ms`);
    log(`entityHistory over GraphQL (first ${PAGE}), 1 in flight`);
    const graphql = await closedLoop({
      concurrency: 1,
      durationMs,
      warmupMs: 500,
      op: async () => {
        const r = await fetch(system.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: query,
        });
        const body = (await r.json()) as {
          data?: { entityHistory?: { entries: unknown[] } };
          errors?: { extensions?: { code?: string } }[];
        };
        if (body.errors?.length) return body.errors[0]!.extensions?.code ?? 'ERROR';
        if (body.data?.entityHistory?.entries.length !== PAGE) return 'SHORT_PAGE';
      },
    });
    log(`  p50 ${graphql.latencyMs.p50} ms, p99 ${graphql.latencyMs.p99} ms`);

    const rows = [
      row('raw direct get of one commit of the aggregate subject, p99', raw.latencyMs.p99, 'ms'),
      row(`history request to the command service, first ${PAGE} of ${EVENTS} events, p99`, fold.latencyMs.p99, 'ms', {
        rawLimit: raw.latencyMs.p99,
      }),
      row(`entityHistory over GraphQL, first ${PAGE} of ${EVENTS} events, p99`, graphql.latencyMs.p99, 'ms', {
        target: { op: '<=', value: 20 },
        rawLimit: raw.latencyMs.p99,
      }),
      row(`entityHistory over GraphQL, first page, p50`, graphql.latencyMs.p50, 'ms', { rawLimit: raw.latencyMs.p50 }),
    ];
    return {
      settings: { events: EVENTS, page: PAGE, durationMs },
      data: { history: { raw, fold, graphql } },
      rows,
    };
  });
}
