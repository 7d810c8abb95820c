import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsNames } from '@cm/contracts';
import { isolatedNames, startSystem, type System } from '@cm/infra';
import type { Nats } from '@cm/platform';
import { closeTestNats, CommandClient, connectTestNats, until } from '@cm/testkit';
import { metricValue } from './realtime.test-util.js';

// The processes that follow the event stream with their own ordered consumer (rules service, realtime gateway)
// report it like the durable consumers (issue 13): lag, events applied, commit sizes and apply time on their
// /metrics, a lag check on /ready, and a line per process in `cm lag`.
const names = isolatedNames('flw');
const nn = natsNames(names.namespace);
const cli = fileURLToPath(new URL('../../infra/dist/cli.js', import.meta.url));
const run = promisify(execFile);
const FOLLOWERS = [
  { service: 'rules-service', role: 'rules' },
  { service: 'realtime-gateway', role: 'gateway' },
] as const;
let system: System;
let nats: Nats;
let commands: CommandClient;

interface LagLine {
  stream: string;
  consumer: string;
  lastSeq: number;
  appliedSeq: number;
  pending: number;
  ackPending: number;
  redelivered: number;
  behind: number;
  secondsBehind: number;
}

async function lag(): Promise<LagLine[]> {
  const { stdout } = await run(process.execPath, [cli, 'lag', '--json', '--namespace', names.namespace], {
    env: { ...process.env, DATABASE_SCHEMA: names.schema },
  });
  return JSON.parse(stdout) as LagLine[];
}

const metrics = async (service: string) => (await fetch(`${system.urls[service as 'rules-service']}/metrics`)).text();

async function kingdoms(campaignId: string, from: number, count: number): Promise<number> {
  for (let i = from; i < from + count; i += 1)
    expect((await commands.send('kingdom.create', campaignId, `k${i}`, { name: `Kingdom ${i}` })).ok).toBe(true);
  return (await nats.jsm.streams.info(nn.eventStream)).state.last_seq;
}

beforeAll(async () => {
  system = await startSystem({
    ...names,
    services: ['command-service', 'query-service', 'rules-service', 'realtime-gateway'],
    env: { LOG_LEVEL: 'warn', RULES_READY_MAX_LAG_SECONDS: '30', REALTIME_READY_MAX_LAG_SECONDS: '30' },
  });
  nats = await connectTestNats('e2e-followers');
  commands = new CommandClient(nats, names.namespace);
});

afterAll(async () => {
  await closeTestNats(nats);
  await system?.stop({ cleanup: true });
});

describe('stream followers (rules service, realtime gateway)', () => {
  it('export their lag and apply figures, and move as events are applied', async () => {
    const campaignId = `flw${Date.now()}`;
    expect((await commands.send('campaign.create', campaignId, campaignId, { name: 'Followers' })).ok).toBe(true);
    const first = await kingdoms(campaignId, 0, 5);
    const before = new Map<string, string>();
    for (const { service, role } of FOLLOWERS) {
      await until(`${role} applied ${first}`, async () => {
        const text = await metrics(service);
        return metricValue(text, 'cm_consumer_applied_seq', `consumer="follower-${role}"`) === first;
      });
      before.set(role, await metrics(service));
    }

    const last = await kingdoms(campaignId, 5, 10);
    for (const { service, role } of FOLLOWERS) {
      const label = `consumer="follower-${role}"`;
      await until(`${role} applied ${last}`, async () => {
        return metricValue(await metrics(service), 'cm_consumer_applied_seq', label) === last;
      });
      const was = before.get(role)!;
      const now = await metrics(service);
      const projection = `projection="${role}"`;
      // Ten commits of one event each, at least (sagas may add their own).
      const applied = (text: string) => metricValue(text, 'cm_projector_events_applied_total', projection);
      expect(applied(now) - applied(was)).toBeGreaterThanOrEqual(10);
      const batches = (text: string) => metricValue(text, 'cm_projector_batch_events_count', projection);
      expect(batches(now) - batches(was)).toBeGreaterThanOrEqual(10);
      const applyTime = (text: string) => metricValue(text, 'cm_projector_batch_duration_seconds_count', projection);
      expect(applyTime(now) - applyTime(was)).toBeGreaterThanOrEqual(10);
      expect(metricValue(now, 'cm_consumer_stream_last_seq', label)).toBe(last);
      expect(now).toMatch(
        new RegExp(`^cm_consumer_seconds_behind\\{stream="${nn.eventStream}",${label}[^}]*\\} 0$`, 'm'),
      );
      expect(now).toMatch(
        new RegExp(`^cm_consumer_pending_messages\\{stream="${nn.eventStream}",${label}[^}]*\\} \\d`, 'm'),
      );

      // The lag check is on /ready (RULES_READY_MAX_LAG_SECONDS / REALTIME_READY_MAX_LAG_SECONDS) and passes.
      const ready = (await (await fetch(`${system.urls[service]}/ready`)).json()) as {
        status: string;
        checks: Record<string, unknown>;
      };
      expect(ready.status).toBe('ready');
      expect(JSON.stringify(ready.checks)).toContain(`${role}-lag`);
    }
  });

  it("show in cm lag, one line per process, with the server's pending counts", async () => {
    const last = (await nats.jsm.streams.info(nn.eventStream)).state.last_seq;
    let lines: LagLine[] = [];
    await until('every follower delivered up to the head', async () => {
      lines = (await lag()).filter((l) => l.consumer.startsWith('follower-'));
      return lines.length === 2 && lines.every((l) => l.appliedSeq === last);
    });
    for (const { role } of FOLLOWERS) {
      const line = lines.find((l) => l.consumer.startsWith(`follower-${role}-`));
      expect(line).toMatchObject({ stream: nn.eventStream, lastSeq: last, behind: 0, secondsBehind: 0 });
      const info = await nats.jsm.consumers.info(line!.stream, line!.consumer);
      expect([line!.pending, line!.ackPending, line!.redelivered]).toEqual([
        info.num_pending,
        info.num_ack_pending,
        info.num_redelivered,
      ]);
    }
  });
});
