import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { natsNames, type CommandInput, type CommandReply, type CommandType, type NatsNames } from '@cm/contracts';
import { closeNats, connectNats, createLogger, LOCAL_DEFAULTS, type Logger, type Nats } from '@cm/platform';
import { loadQueryConfig, type QueryConfig } from '../config.js';
import { openDatabase, type Database } from '../read-model/database.js';
import type { Sql } from '../read-model/sql.js';
import { tableRef } from './row-statements.js';
import { ALL_TABLES, allColumns, type TableName } from '../read-model/tables.js';

export const NATS_URL = process.env.NATS_URL ?? LOCAL_DEFAULTS.NATS_URL;

/** A fresh namespace per test file: `t` + hex, lowercase letters and digits only. */
export function testNamespace(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

/** Logs only when TEST_LOG_LEVEL asks for it. */
export function testLogger(): Logger {
  const level = (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent';
  return createLogger('query-service-test', { LOG_LEVEL: level, LOG_FORMAT: 'json', NODE_ENV: 'test' });
}

export function testConfig(namespace: string, schema: string, env: Record<string, string> = {}): QueryConfig {
  return loadQueryConfig({ NODE_ENV: 'test', CM_NAMESPACE: namespace, DATABASE_SCHEMA: schema, NATS_URL, ...env });
}

export async function openTestDatabase(namespace: string, schema: string): Promise<Database> {
  const db = await openDatabase(testConfig(namespace, schema), testLogger());
  await db.migrateUp();
  return db;
}

export async function connectTestNats(name: string): Promise<Nats> {
  return connectNats(NATS_URL, name, testLogger());
}

/** Removes everything a test namespace created on NATS: the event stream (consumers with it) and the lease bucket. */
export async function dropNamespace(nats: Nats, names: NatsNames): Promise<void> {
  await nats.jsm.streams.delete(names.eventStream).catch(() => undefined);
  await nats.jsm.streams.delete(`KV_${names.leaseBucket}`).catch(() => undefined);
}

export async function dropSchema(sql: Sql, schema: string): Promise<void> {
  await sql.run(`drop schema if exists "${schema}" cascade`);
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Every table as sorted rows, for equality checks. Geometry as EWKT; `updated_at` only when asked for (it is
 * the one column two projections of the same stream legitimately differ in).
 */
export async function dumpTables(sql: Sql, schema: string, opts: { updatedAt?: boolean; branchAs?: Record<string, string> } = {}): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const spec of ALL_TABLES) {
    const columns = allColumns(spec)
      .filter(([c]) => c !== 'updated_at' || opts.updatedAt)
      .map(([c, { type }]) => (type === 'geometry' ? `ST_AsEWKT(${c}) AS ${c}` : `"${c}"`));
    const order = Object.keys(spec.key).map((k) => `"${k}"`).join(', ');
    out[spec.name] = await sql.all(`SELECT ${columns.join(', ')} FROM ${tableRef(schema, spec.name as TableName)} ORDER BY ${order}`);
  }
  return out;
}

/** Sends commands to the command service as plain JSON requests, the way the API does. */
export class CommandClient {
  readonly names: NatsNames;

  constructor(
    private readonly nats: Nats,
    namespace: string,
    readonly userId = 'gm-1',
  ) {
    this.names = natsNames(namespace);
  }

  async send<T extends CommandType>(
    type: T,
    campaignId: string,
    aggregateId: string,
    payload: CommandInput<T>,
    opts: { branchId?: string; userId?: string } = {},
  ): Promise<CommandReply> {
    const commandId = randomUUID();
    const envelope = {
      commandId,
      type,
      campaignId,
      branchId: opts.branchId ?? 'main',
      aggregateId,
      payload,
      actor: { userId: opts.userId ?? this.userId },
      correlationId: commandId,
      issuedAt: new Date().toISOString(),
    };
    // Generous: a command waits for the command service, which may be busy with thousands of others.
    const reply = await this.nats.nc.request(this.names.commandSubject(type), JSON.stringify(envelope), { timeout: 30_000 });
    return reply.json<CommandReply>();
  }

  /** Like `send`, but the command must succeed; resolves to its sequence. */
  async must<T extends CommandType>(type: T, campaignId: string, aggregateId: string, payload: CommandInput<T>, opts: { branchId?: string } = {}): Promise<number> {
    const reply = await this.send(type, campaignId, aggregateId, payload, opts);
    if (!reply.ok) throw new Error(`${type} ${aggregateId} failed: ${reply.error.code} ${reply.error.message}`);
    return reply.seq;
  }
}

/** Waits until the command service's sagas have consumed everything (their effects are commits too). */
export async function waitForSagas(nats: Nats, names: NatsNames): Promise<void> {
  for (;;) {
    const consumers = await Promise.all(
      ['saga-settlement-cascade', 'saga-world-event-effects'].map((c) => nats.jsm.consumers.info(names.eventStream, c).catch(() => undefined)),
    );
    if (consumers.every((c) => c && c.num_pending === 0 && c.num_ack_pending === 0)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function lastSeq(nats: Nats, names: NatsNames): Promise<number> {
  return (await nats.jsm.streams.info(names.eventStream)).state.last_seq;
}

export async function closeTestNats(nats: Nats | undefined): Promise<void> {
  await closeNats(nats);
}
