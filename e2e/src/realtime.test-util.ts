import { randomBytes } from 'node:crypto';
import { startSystem, type System } from '@cm/infra';
import { signToken } from '@cm/platform';
import { GraphQLClient } from '@cm/testkit';

export const REALTIME_SERVICES = ['command-service', 'query-service', 'realtime-gateway'] as const;

/** A whole system with the realtime gateway, in a namespace and schema of its own. */
export async function startRealtimeSystem(
  gatewayEnv: Record<string, string> = {},
): Promise<{ system: System; secret: string; gateway: string }> {
  const secret = `rt-${randomBytes(16).toString('hex')}`;
  const system = await startSystem({
    namespace: `rt${randomBytes(4).toString('hex')}`,
    schema: `rt_${randomBytes(4).toString('hex')}`,
    services: REALTIME_SERVICES,
    env: { JWT_SECRET: secret, NODE_ENV: 'development' },
    serviceEnv: { 'realtime-gateway': gatewayEnv },
  });
  return { system, secret, gateway: system.urls['realtime-gateway']! };
}

/** The GraphQL mutations the realtime tests write events with; each returns the stream seq of its commit. */
export class Writer {
  constructor(readonly client: GraphQLClient) {}

  static async as(system: System, secret: string, userId: string): Promise<Writer> {
    return new Writer(new GraphQLClient(system.graphqlUrl, await signToken(secret, userId)));
  }

  async campaign(id: string): Promise<number> {
    return (
      await this.client.ok<any>(`mutation($id: ID!, $n: String!) { createCampaign(id: $id, name: $n) { seq } }`, {
        id,
        n: id,
      })
    ).createCampaign.seq;
  }

  async kingdom(campaignId: string, id: string, branchId = 'main'): Promise<number> {
    return (
      await this.client.ok<any>(
        `mutation($c: ID!, $b: ID!, $id: ID!, $n: String!) { createKingdom(campaignId: $c, branchId: $b, id: $id, name: $n) { seq } }`,
        { c: campaignId, b: branchId, id, n: id },
      )
    ).createKingdom.seq;
  }

  async rename(campaignId: string, id: string, name: string, branchId = 'main'): Promise<number> {
    return (
      await this.client.ok<any>(
        `mutation($c: ID!, $b: ID!, $id: ID!, $n: String!) { renameKingdom(campaignId: $c, branchId: $b, id: $id, name: $n) { seq } }`,
        { c: campaignId, b: branchId, id, n: name },
      )
    ).renameKingdom.seq;
  }

  async fork(campaignId: string, id: string): Promise<number> {
    return (
      await this.client.ok<any>(
        `mutation($c: ID!, $id: ID!, $n: String!) { forkBranch(campaignId: $c, id: $id, name: $n) { seq } }`,
        { c: campaignId, id, n: id },
      )
    ).forkBranch.seq;
  }

  async addMember(campaignId: string, userId: string): Promise<number> {
    return (
      await this.client.ok<any>(
        `mutation($c: ID!, $u: ID!) { addCampaignMember(campaignId: $c, userId: $u, role: PLAYER) { seq } }`,
        { c: campaignId, u: userId },
      )
    ).addCampaignMember.seq;
  }

  async removeMember(campaignId: string, userId: string): Promise<number> {
    return (
      await this.client.ok<any>(
        `mutation($c: ID!, $u: ID!) { removeCampaignMember(campaignId: $c, userId: $u) { seq } }`,
        { c: campaignId, u: userId },
      )
    ).removeCampaignMember.seq;
  }
}

/** Runs `tasks` with at most `n` in flight. */
export async function inParallel<T>(n: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < tasks.length) {
        const i = next++;
        out[i] = await tasks[i]!();
      }
    }),
  );
  return out;
}

/** Reads a Prometheus counter or gauge (summed over labels matching `labels`) from a /metrics text. */
export function metricValue(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || rest.startsWith('{'))) continue;
    if (labels && !rest.includes(labels)) continue;
    sum += Number(line.split(' ').pop());
  }
  return sum;
}

/** Waits until the gateway holds at least `min` open subscriptions (a subscription without a resume point sees only what comes after it). */
export async function subscriptionsOpen(gateway: string, min: number, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = metricValue(await (await fetch(`${gateway}/metrics`)).text(), 'realtime_subscriptions');
    if (n >= min) return n;
    if (Date.now() > deadline) throw new Error(`the gateway holds ${n} subscriptions, expected at least ${min}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
