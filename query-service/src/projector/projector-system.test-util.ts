import { natsNames } from '@cm/contracts';
import type { Nats } from '@cm/platform';
import {
  closeTestNats,
  CommandClient,
  connectTestNats,
  distEntry,
  dropNamespace,
  freePort,
  NATS_URL,
  ServiceProcess,
  testNamespace,
} from '@cm/testkit';
import type { Database } from '../read-model/database.js';
import { expect } from 'vitest';
import { jetStreamHistory } from './event-history.js';
import { dumpTables, openTestDatabase } from './int-support.test-util.js';
import { ProjectionWriter } from './projection-writer.js';
import { projectStream } from './rebuild.js';

/**
 * What the projector integration specs run against, in a test namespace of their own: the command service writing
 * the event stream as a real process (the test kit provisions the namespace's NATS resources before it starts a
 * service), query-service processes the spec starts, and read-model schemas opened on demand. `stop` ends the
 * processes, last started first, and removes what the system made: its schemas and streams (a spec that writes a
 * Redis read model removes its keys itself).
 * Made at the spec's top level, started in `beforeAll` and stopped in `afterAll`, also after a start that failed.
 */
export class ProjectorTestSystem {
  readonly ns = testNamespace();
  readonly names = natsNames(this.ns);
  /** The read model's schema; every schema whose name starts with it is the system's, dropped by `stop`. */
  readonly schema = `rm_${this.ns}`;
  /** The environment of every service process of the system. */
  readonly env: Record<string, string> = {
    CM_NAMESPACE: this.ns,
    NATS_URL,
    NODE_ENV: 'test',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'warn',
  };
  nats!: Nats;
  /** Sends commands to the system's command service. */
  client!: CommandClient;
  /** The command service process. */
  commands!: ServiceProcess;
  private readonly processes: ServiceProcess[] = [];
  private readonly databases: Database[] = [];

  constructor(private readonly connectionName: string) {}

  /** Connects to NATS and starts the command service; resolves once it is ready. */
  async start(): Promise<void> {
    this.nats = await connectTestNats(this.connectionName);
    this.client = new CommandClient(this.nats, this.ns);
    this.commands = await this.startService('command-service');
  }

  /**
   * Starts a process of `pkg` on a free port with the system's environment, then `env`; resolves once it is ready.
   * A query-service process listens on 127.0.0.1 and reads and writes the system's schema unless `env` says otherwise.
   */
  async startService(
    pkg: 'command-service' | 'query-service',
    env: Record<string, string> = {},
  ): Promise<ServiceProcess> {
    const port = await freePort();
    const own: Record<string, string> =
      pkg === 'command-service'
        ? { COMMAND_OPS_PORT: String(port) }
        : { QUERY_HOST: '127.0.0.1', QUERY_PORT: String(port), DATABASE_SCHEMA: this.schema };
    const service = new ServiceProcess(pkg, distEntry(pkg), { ...this.env, ...own, ...env }, port);
    this.processes.push(service);
    service.start();
    await service.waitReady();
    return service;
  }

  /** The read model in the schema `schema` + `suffix`, migrated. */
  async database(suffix = ''): Promise<Database> {
    const db = await openTestDatabase(this.ns, `${this.schema}${suffix}`);
    this.databases.push(db);
    return db;
  }

  /**
   * Projects the whole stream, up to `target`, its last sequence, into `fresh` and expects `live` to hold the same
   * rows in every table. Resolves to the live tables.
   */
  async expectFreshProjection(live: Database, fresh: Database, target: number): Promise<Record<string, unknown[]>> {
    const writer = new ProjectionWriter(fresh, jetStreamHistory(this.nats, this.names));
    expect(await projectStream(this.nats, this.names, writer, { batchSize: 1000 })).toBe(target);
    const [expected, actual] = await Promise.all([
      dumpTables(fresh.sql, fresh.schema),
      dumpTables(live.sql, live.schema),
    ]);
    for (const table of Object.keys(expected)) expect(actual[table], table).toEqual(expected[table]);
    return actual;
  }

  async stop(): Promise<void> {
    for (const service of [...this.processes].reverse()) await service.kill('SIGTERM');
    const [db] = this.databases;
    if (db) {
      const schemas = await db.sql.all<{ nspname: string }>(
        'SELECT nspname FROM pg_namespace WHERE starts_with(nspname, ?)',
        [this.schema],
      );
      for (const { nspname } of schemas) await db.sql.run(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
    }
    for (const d of this.databases) await d.close();
    if (this.nats) await dropNamespace(this.nats, this.names);
    await closeTestNats(this.nats);
  }
}
