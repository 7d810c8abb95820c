import { ErrorCode, natsNames } from '@cm/contracts';
import { readStream, type Nats, type StreamRange } from '@cm/platform';
import { withNats } from '../nats-admin.js';
import { CliFailure, namespaceOption, parseCommandArgs, UsageError, type CliCommand } from './command.js';
import { EventDiffs } from './event-diffs.js';
import { formatJson, formatStory, useColour } from './event-format.js';
import { selectedEvents } from './event-printer.js';
import { FILTER_HELP, FILTER_OPTIONS, position, rangeOf, selection } from './event-range.js';
import { schemaOption } from './read-model-db.js';
import { AggregateSet, formatReport, projectionOption, runReplayProcess } from './replay-into.js';

const help = `
Usage: cm replay [filters] [--from <seq|time>] [--to <seq|time>] [--command <id> | --correlation <id>] [--json]
       cm replay [filters and range as above] --into <postgres|redis> [--dry-run] [--schema <schema>] [--json]

Prints a range of the event stream as a story, oldest first, one sentence per event: who did what to which
entity in which branch, and what it changed (asked of the command service, which folds the entity with its
deciders; the event's data when none answers). Saga events say which event caused them.

Options:${FILTER_HELP}
  --from <seq|time>     first stream sequence or ISO-8601 time (default: the beginning)
  --to <seq|time>       last stream sequence or ISO-8601 time (default: the stream's end now)
  --command <id>        the events of one command and of every command it caused (its correlation)
  --correlation <id>    the events of one correlation id
  --into <projection>   re-project the selected entities into one projection, postgres or redis; nothing else
                        is touched
  --dry-run             with --into <projection>: show the row changes it would make, write nothing
  --schema <schema>     the Postgres read-model schema (default $DATABASE_SCHEMA or public)
  -h, --help            show this help

Re-projecting (--into postgres|redis), for debugging a bad row: the range only chooses the entities (aggregates).
Each is folded again from its first event (in a branch: with the parent's events up to the fork) up to the
projection's checkpoint, through the projection's own code, and its rows are written where their last write
came from these events (last_seq <= the fold's): a corrupted row is restored, a row a later event wrote (a live
write, or another entity's event) is left alone and reported as "newer". Every row the fold writes is printed
with its change (inserted, updated, deleted, unchanged) and the fields before → after. Safe beside the live
projector: no lease is taken, the checkpoint, the consumer, parked events, the other projection and the cache
are not touched (cached computed fields expire by their TTL); Postgres rows are locked for the one transaction.
Errors: VALIDATION (no such projection, exit 2), NOT_FOUND (no event in the range, exit 1).

Examples:
  npm run cm -- replay --campaign shattered-crown --entity-type settlement --entity thornwick
  npm run cm -- replay --command 0b7e… --json
  npm run cm -- replay --entity thornwick --into postgres --dry-run
`;

export const replayCommand: CliCommand = {
  name: 'replay',
  summary: 'print a range of events (by sequence, time, entity or command) as a readable story',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, {
      ...FILTER_OPTIONS,
      from: { type: 'string' },
      to: { type: 'string' },
      into: { type: 'string' },
      command: { type: 'string' },
      correlation: { type: 'string' },
      'dry-run': { type: 'boolean' },
      schema: { type: 'string' },
    });
    if (!args) return 0;
    if (args.values.command && args.values.correlation)
      throw new UsageError('give at most one of --command and --correlation');
    const projection = projectionOption(args.values.into as string | undefined);
    if (args.values['dry-run'] && !projection)
      throw new UsageError(`${ErrorCode.VALIDATION}: --dry-run needs --into <projection>`);
    const namespace = namespaceOption(args.values.namespace as string | undefined);
    const names = natsNames(namespace);
    const sel = selection(args.values, names);
    const range: StreamRange = {
      filter: sel.filter,
      ...rangeOf(position(args.values.from, 'from'), position(args.values.to as string | undefined, 'to')),
    };
    const schema = schemaOption(args.values.schema as string | undefined);
    const colour = useColour(process.stdout);
    return withNats('cm-cli:replay', async (nats) => {
      const diffs = args.values['no-diff'] || projection ? undefined : new EventDiffs(nats, names);
      const correlation =
        (args.values.correlation as string | undefined) ??
        (args.values.command
          ? await correlationOf(nats, names.eventStream, range, args.values.command as string)
          : undefined);
      if (args.values.command && !correlation) {
        process.stderr.write(`no event of command ${String(args.values.command)} in that range\n`);
        return 1;
      }
      const aggregates = projection ? new AggregateSet() : undefined;
      for await (const commit of readStream(nats, names.eventStream, range)) {
        const events = correlation
          ? commit.commit.events.filter((e) => e.metadata.correlationId === correlation)
          : commit.commit.events;
        if (events.length === 0) continue;
        const story = { ...commit, commit: { ...commit.commit, events } };
        for (const p of await selectedEvents(story, sel, diffs)) {
          if (aggregates) aggregates.add(p.event);
          else process.stdout.write(`${args.values.json ? formatJson(p) : formatStory(p, colour)}\n`);
        }
      }
      if (!aggregates || !projection) return 0;
      if (aggregates.list().length === 0)
        throw new CliFailure(`${ErrorCode.NOT_FOUND}: no event in that range: nothing to replay`);
      const env = {
        ...process.env,
        CM_NAMESPACE: namespace,
        DATABASE_SCHEMA: schema,
        NODE_ENV: process.env.NODE_ENV ?? 'development',
        LOG_FORMAT: 'json',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      };
      const report = await runReplayProcess(projection, aggregates.list(), Boolean(args.values['dry-run']), env);
      process.stdout.write(args.values.json ? `${JSON.stringify(report)}\n` : formatReport(report));
      return 0;
    });
  },
};

/** The correlation id of a command's first event in the range. */
async function correlationOf(
  nats: Nats,
  stream: string,
  range: StreamRange,
  commandId: string,
): Promise<string | undefined> {
  for await (const commit of readStream(nats, stream, range)) {
    const event = commit.commit.events.find((e) => e.metadata.commandId === commandId);
    if (event) return event.metadata.correlationId;
  }
  return undefined;
}
