import { natsNames } from '@cm/contracts';
import { withNats } from '../nats-admin.js';
import { CliFailure, namespaceOption, parseCommandArgs, UsageError, type CliCommand } from './command.js';
import { schemaOption, withReadModel } from './read-model-db.js';
import { formatTable } from './table.js';

const help = `
Usage: cm parked [list] [--all] [--projection postgres] [--schema public] [--json]
       cm parked retry [--projection postgres] [--namespace cm] [--json]
       cm parked skip <seq> --reason "<why>" [--projection postgres] [--namespace cm] [--json]

A commit a projection cannot apply (a poison event) is retried PROJECTOR_MAX_ATTEMPTS times with backoff, then
parked with its error, together with every later commit of the same aggregate, and the projection goes on with
the others. Parked commits are kept in the read model's parked_event table.

  list    the parked commits in stream order: sequence, aggregate, event types, attempts, error
          (--all: skipped ones too, with their reasons)
  retry   re-applies every parked commit in stream order, after the projection (or the data) was fixed; an
          aggregate whose commit fails again stays parked with the commits behind it. Done by the projection's
          active instance, so a projector must be running.
  skip    drops one parked commit for good, recording the reason; the later commits of its aggregate stay parked
          until the next retry

Options:
  --projection <name>   projection (default postgres)
  --namespace <ns>      namespace prefix (default $CM_NAMESPACE or cm)
  --schema <schema>     read-model schema (default $DATABASE_SCHEMA or public)
  --reason <text>       why a commit is skipped (required by skip)
  --all                 list skipped commits too
  --timeout <s>         how long retry/skip wait for the projector's answer (default 60)
  --json                machine-readable output
  -h, --help            show this help
`;

interface Reply {
  ok: boolean;
  applied?: number[];
  stillParked?: number;
  error?: string;
}

export const parkedCommand: CliCommand = {
  name: 'parked',
  summary: 'poison events a projection parked: list them, retry them after a fix, or skip one with a reason',
  help,
  async run(argv) {
    const args = parseCommandArgs(
      this,
      argv,
      {
        projection: { type: 'string' },
        namespace: { type: 'string' },
        schema: { type: 'string' },
        reason: { type: 'string' },
        all: { type: 'boolean' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
      },
      true,
    );
    if (!args) return 0;
    const [action = 'list', ...rest] = args.positionals;
    const projection = (args.values.projection as string | undefined) ?? 'postgres';
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(projection))
      throw new UsageError(`--projection must be a projection name, got ${JSON.stringify(projection)}`);
    const json = Boolean(args.values.json);
    if (action === 'list') {
      if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
      return list(schemaOption(args.values.schema as string | undefined), projection, Boolean(args.values.all), json);
    }
    const namespace = namespaceOption(args.values.namespace as string | undefined);
    const timeoutS = Number(args.values.timeout ?? 60);
    if (!(timeoutS > 0)) throw new UsageError('--timeout must be a positive number of seconds');
    let request: object;
    if (action === 'retry') {
      if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
      request = { op: 'retry' };
    } else if (action === 'skip') {
      const seq = Number(rest[0]);
      if (rest.length !== 1 || !Number.isInteger(seq) || seq < 1)
        throw new UsageError('skip takes the sequence of one parked commit: cm parked skip <seq> --reason "..."');
      const reason = (args.values.reason as string | undefined)?.trim();
      if (!reason) throw new UsageError('skip needs --reason "<why>": it is recorded with the skipped commit');
      request = { op: 'skip', seq, reason };
    } else {
      throw new UsageError(`unknown action ${JSON.stringify(action)}: list, retry or skip`);
    }
    const reply = await withNats('cm-cli:parked', async ({ nc }) => {
      const subject = natsNames(namespace).parkedControlSubject(projection);
      const msg = await nc
        .request(subject, JSON.stringify(request), { timeout: timeoutS * 1000 })
        .catch((e: unknown) => {
          const message = (e as Error).message ?? String(e);
          if (/no responders|503|timeout/i.test(message)) {
            throw new CliFailure(
              `no active ${projection} projector answered in namespace ${namespace} (is one running? ${message})`,
            );
          }
          throw e;
        });
      return JSON.parse(msg.string()) as Reply;
    });
    if (json) process.stdout.write(`${JSON.stringify(reply)}\n`);
    if (!reply.ok) {
      if (!json) process.stderr.write(`cm parked ${action}: ${reply.error}\n`);
      return 1;
    }
    if (!json) {
      const applied = reply.applied ?? [];
      const what =
        action === 'retry'
          ? `applied ${applied.length} parked commit(s)${applied.length ? ` (${applied.join(', ')})` : ''}`
          : 'skipped';
      process.stdout.write(`${what}; ${reply.stillParked} still parked\n`);
    }
    return 0;
  },
};

async function list(schema: string, projection: string, all: boolean, json: boolean): Promise<number> {
  const rows = await withReadModel(async (client) => {
    const result = await client.query<{
      seq: string;
      aggregate: string;
      event_types: string;
      attempts: number;
      status: string;
      reason: string | null;
      error: string;
      parked_at: Date;
    }>(
      `SELECT seq, aggregate, event_types, attempts, status, reason, error, parked_at FROM "${schema}".parked_event ` +
        `WHERE projection = $1 ${all ? '' : "AND status = 'parked'"} ORDER BY seq`,
      [projection],
    );
    return result.rows.map((r) => ({
      seq: Number(r.seq),
      aggregate: r.aggregate,
      eventTypes: r.event_types.split(',').filter(Boolean),
      attempts: r.attempts,
      status: r.status,
      reason: r.reason,
      error: r.error,
      parkedAt: r.parked_at.toISOString(),
    }));
  });
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    process.stdout.write(`no parked commits for projection ${projection} in schema ${schema}\n`);
    return 0;
  }
  const header = ['seq', 'aggregate', 'events', 'attempts', 'status', 'parked at', all ? 'error / reason' : 'error'];
  const cut = (s: string) => (s.length > 100 ? `${s.slice(0, 97)}...` : s);
  process.stdout.write(
    `${formatTable(
      header,
      rows.map((r) => [
        r.seq,
        r.aggregate,
        r.eventTypes.join(','),
        r.attempts,
        r.status,
        r.parkedAt,
        cut(r.status === 'skipped' ? `skipped: ${r.reason}` : r.error),
      ]),
    )}\n`,
  );
  return 0;
}
