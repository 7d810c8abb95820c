import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { DeliverPolicy } from '@nats-io/jetstream';
import pg from 'pg';
import {
  decodeCommit,
  jobSubjects,
  natsNames,
  type AnyEvent,
  type CronJobName,
  type CommandEnvelope,
  type CommandReply,
  type NatsNames,
} from '@cm/contracts';
import { isolatedNames, startSystem, type System } from '@cm/infra';
import { WORKSPACE } from '@cm/testkit';
import { closeNats, connectNats, createLogger, LOCAL_DEFAULTS, type Nats } from '@cm/platform';

/** Crons that never fire during a test: the job under test is the only one that runs. */
export const NEVER = '0 0 1 1 *';

/**
 * A scheduler test system: the command service and the query service (API + projector) from the launcher (and the
 * realtime gateway with `{ gateway: true }`), plus any number of scheduler replicas, each its own launcher system
 * in the same namespace and schema (the launcher runs one process per service, and these replicas are the same
 * service side by side).
 */
export class SchedulerHarness {
  readonly names = isolatedNames('sched');
  readonly nn: NatsNames = natsNames(this.names.namespace);
  core!: System;
  readonly replicas: System[] = [];
  nats!: Nats;
  db!: pg.Client;

  constructor(
    private readonly schedulerEnv: Record<string, string>,
    private readonly opts: { gateway?: boolean } = {},
  ) {}

  /** Base URL of the realtime gateway (`{ gateway: true }`): `/events` for plain SSE. */
  get gatewayUrl(): string {
    const url = this.core.urls['realtime-gateway'];
    if (!url) throw new Error('the harness runs no realtime gateway; construct it with { gateway: true }');
    return url;
  }

  async start(replicas: number): Promise<void> {
    this.nats = await connectNats(
      process.env.NATS_URL ?? LOCAL_DEFAULTS.NATS_URL,
      'e2e-scheduler',
      createLogger('e2e', { LOG_LEVEL: 'silent', NODE_ENV: 'test', LOG_FORMAT: 'json' }),
    );
    // The launcher provisions the job stream and its consumer before it starts a replica; the scheduler verifies them.
    this.core = await startSystem({
      ...this.names,
      services: ['command-service', 'query-service', ...(this.opts.gateway ? (['realtime-gateway'] as const) : [])],
      env: { LOG_LEVEL: 'warn' },
    });
    for (let i = 0; i < replicas; i++) await this.addReplica();
    this.db = new pg.Client({ connectionString: process.env.DATABASE_URL ?? LOCAL_DEFAULTS.DATABASE_URL });
    await this.db.connect();
  }

  async addReplica(env: Record<string, string> = {}): Promise<System> {
    const s = await startSystem({
      ...this.names,
      services: ['scheduler-service'],
      env: { LOG_LEVEL: 'info', ...this.schedulerEnv, ...env },
    });
    this.replicas.push(s);
    return s;
  }

  /**
   * Stops every replica, then lets one replica whose crons never fire run whatever jobs were still queued (a
   * graceful stop finishes the jobs in hand, not the queue), so that counts taken afterwards are final.
   */
  async stopAndDrain(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.stop()));
    const drainer = await this.addReplica({
      CRON_SETTLEMENT_GROWTH: NEVER,
      CRON_STRUCTURE_MAINTENANCE: NEVER,
      CRON_EVENT_EXPIRATION: NEVER,
    });
    await waitFor(
      async () => {
        const info = await this.nats.jsm.consumers.info(this.nn.jobStream, jobSubjects(this.nn).workerConsumer);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      60_000,
      'the job queue to drain',
    );
    await drainer.stop();
  }

  async stop(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.stop({ cleanup: false })));
    await this.db?.end();
    await closeNats(this.nats);
    await this.core?.stop({ cleanup: true });
  }

  async health(replica: System): Promise<any> {
    return (await fetch(`${replica.urls['scheduler-service']}/health`)).json();
  }

  /**
   * Records `lastWindow` as the cron's last planned window, as a scheduler that ran until then would have: a window
   * after it then runs even if the replica comes up late (catch-up), instead of being taken for history.
   */
  async cronRanUntil(cron: CronJobName, lastWindow: Date): Promise<void> {
    await this.nats.js.publish(
      jobSubjects(this.nn).state(cron),
      JSON.stringify({ lastWindow: lastWindow.toISOString(), windows: [], published: true }),
    );
  }

  /** Sends a command as the owner would, pipelined callers welcome; throws on a rejection. */
  async send(
    type: CommandEnvelope['type'],
    campaignId: string,
    aggregateId: string,
    payload: unknown,
    commandId = `${aggregateId}-${type}-${Math.random().toString(36).slice(2)}`,
  ): Promise<number> {
    const envelope = {
      commandId,
      type,
      campaignId,
      branchId: 'main',
      aggregateId,
      payload,
      actor: { userId: 'sched-owner' },
      correlationId: commandId,
      issuedAt: new Date().toISOString(),
    };
    const msg = await this.nats.nc.request(this.nn.commandSubject(type), JSON.stringify(envelope), { timeout: 10_000 });
    const reply = msg.json<CommandReply>();
    if (!reply.ok) throw new Error(`${type} ${aggregateId}: ${reply.error.code} ${reply.error.message}`);
    return reply.seq;
  }

  /** A campaign with `count` settlements (`s0000`...), each with `population`; returns the last sequence. */
  async seedSettlements(campaignId: string, count: number, population: number): Promise<number> {
    await this.send('campaign.create', campaignId, campaignId, { name: 'Scheduler test' });
    await this.send('kingdom.create', campaignId, 'k1', { name: 'Kingdom' });
    await this.send('location.create', campaignId, 'l1', {
      name: 'Place',
      geometry: { type: 'Point', coordinates: [1, 2] },
    });
    let last = 0;
    const ids = Array.from({ length: count }, (_, i) => `s${String(i).padStart(4, '0')}`);
    for (let i = 0; i < ids.length; i += 64) {
      await Promise.all(
        ids
          .slice(i, i + 64)
          .map((id) =>
            this.send('settlement.create', campaignId, id, { kingdomId: 'k1', locationId: 'l1', name: id, level: 1 }),
          ),
      );
      const seqs = await Promise.all(
        ids.slice(i, i + 64).map((id) =>
          this.send('state-variable.set', campaignId, `settlement~${id}`, {
            ownerType: 'settlement',
            ownerId: id,
            key: 'population',
            value: { type: 'number', value: population },
          }),
        ),
      );
      last = Math.max(last, ...seqs);
    }
    return last;
  }

  async lastSeq(): Promise<number> {
    return (await this.nats.jsm.streams.info(this.nn.eventStream)).state.last_seq;
  }

  /** Waits until the read model has applied `seq`. */
  async projected(seq: number, timeoutMs = 60_000): Promise<void> {
    await waitFor(
      async () => {
        const { rows } = await this.db.query(
          `SELECT seq FROM "${this.names.schema}".projection_checkpoint WHERE name = 'postgres'`,
        );
        return Number(rows[0]?.seq ?? 0) >= seq;
      },
      timeoutMs,
      `read model at seq ${seq}`,
    );
  }

  /** Every event on the stream matching `filter` so far, with its sequence. */
  async events(filter = `${this.nn.prefix}.evt.>`): Promise<(AnyEvent & { seq: number })[]> {
    const info = await this.nats.jsm.streams.info(this.nn.eventStream);
    const last = info.state.last_seq;
    const out: (AnyEvent & { seq: number })[] = [];
    const first = await this.nats.jsm.direct.getMessage(this.nn.eventStream, { seq: 1, next_by_subj: filter });
    if (!first) return out;
    const consumer = await this.nats.js.consumers.get(this.nn.eventStream, {
      filter_subjects: filter,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: first.seq,
    });
    const messages = await consumer.consume({ max_messages: 1000 });
    for await (const m of messages) {
      for (const e of decodeCommit(m.data).events) out.push({ ...e, seq: m.seq });
      if (m.seq >= last || m.info.pending === 0) break;
    }
    messages.stop();
    return out;
  }

  /** Growth events the scheduler issued: settlement id and the window token of its command id. */
  async growthEvents(
    campaignId: string,
  ): Promise<{ settlement: string; window: string; value: number; seq: number }[]> {
    const events = await this.events(`${this.nn.prefix}.evt.${campaignId}.main.state-variable.>`);
    return events
      .filter((e) => e.type === 'StateVariableSet' && e.metadata.commandId.startsWith('sched:settlement-growth:'))
      .map((e) => {
        const data = (e as AnyEvent & { type: 'StateVariableSet' }).data;
        return {
          settlement: data.ownerId,
          window: e.metadata.commandId.split(':').at(-1)!,
          value: data.value.value as number,
          seq: e.seq,
        };
      });
  }

  async populations(campaignId: string): Promise<Map<string, number>> {
    const { rows } = await this.db.query(
      `SELECT owner_id, value FROM "${this.names.schema}".state_variable WHERE campaign_id = $1 AND branch_id = 'main' AND owner_type = 'settlement' AND key = 'population' AND NOT deleted`,
      [campaignId],
    );
    return new Map(rows.map((r) => [r.owner_id as string, Number(r.value)]));
  }

  /** Runs the operator CLI against this namespace. */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(WORKSPACE, 'infra/dist/cli.js'),
      ...args,
      '--namespace',
      this.names.namespace,
    ]);
    return stdout;
  }

  /** JSON log lines of a replica (its launcher keeps the tail). */
  logLines(replica: System, lines = 2000): Record<string, any>[] {
    return replica.logs('scheduler-service', lines).flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, any>];
      } catch {
        return [];
      }
    });
  }
}

export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
  pollMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}

/** `20261129T120002Z` → epoch ms. */
export function windowMs(token: string): number {
  return Date.parse(token.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
}

/** Population after `n` growth windows, as the scheduler computes it (rate, cap from level 1). */
export function grownTimes(start: number, n: number, rate = 0.02, cap = 1000): number {
  let p = start;
  for (let i = 0; i < n; i++) p = p >= cap ? p : Math.max(0, Math.min(cap, Math.round(p * (1 + rate))));
  return p;
}
