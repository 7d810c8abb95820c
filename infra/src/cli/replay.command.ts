import { natsNames } from '@cm/contracts';
import { readStream, type Nats, type StreamRange } from '@cm/platform';
import { withNats } from '../nats-admin.js';
import { namespaceOption, parseCommandArgs, UsageError, type CliCommand } from './command.js';
import { EventDiffs } from './event-diffs.js';
import { formatJson, formatStory, useColour } from './event-format.js';
import { selectedEvents } from './event-printer.js';
import { FILTER_HELP, FILTER_OPTIONS, position, rangeOf, selection } from './event-range.js';

const help = `
Usage: cm replay [filters] [--from <seq|time>] [--to <seq|time>] [--command <id> | --correlation <id>] [--json]

Prints a range of the event stream as a story, oldest first, one sentence per event: who did what to which
entity in which branch, and what it changed (asked of the command service, which folds the entity with its
deciders; the event's data when none answers). Saga events say which event caused them.

Options:${FILTER_HELP}
  --from <seq|time>     first stream sequence or ISO-8601 time (default: the beginning)
  --to <seq|time>       last stream sequence or ISO-8601 time (default: the stream's end now)
  --command <id>        the events of one command and of every command it caused (its correlation)
  --correlation <id>    the events of one correlation id
  -h, --help            show this help

Examples:
  npm run cm -- replay --campaign shattered-crown --entity-type settlement --entity thornwick
  npm run cm -- replay --command 0b7e… --json
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
      command: { type: 'string' },
      correlation: { type: 'string' },
    });
    if (!args) return 0;
    if (args.values.command && args.values.correlation)
      throw new UsageError('give at most one of --command and --correlation');
    const names = natsNames(namespaceOption(args.values.namespace as string | undefined));
    const sel = selection(args.values, names);
    const range: StreamRange = {
      filter: sel.filter,
      ...rangeOf(position(args.values.from, 'from'), position(args.values.to, 'to')),
    };
    const colour = useColour(process.stdout);
    return withNats('cm-cli:replay', async (nats) => {
      const diffs = args.values['no-diff'] ? undefined : new EventDiffs(nats, names);
      const correlation =
        (args.values.correlation as string | undefined) ??
        (args.values.command
          ? await correlationOf(nats, names.eventStream, range, args.values.command as string)
          : undefined);
      if (args.values.command && !correlation) {
        process.stderr.write(`no event of command ${String(args.values.command)} in that range\n`);
        return 1;
      }
      for await (const commit of readStream(nats, names.eventStream, range)) {
        const events = correlation
          ? commit.commit.events.filter((e) => e.metadata.correlationId === correlation)
          : commit.commit.events;
        if (events.length === 0) continue;
        for (const p of await selectedEvents({ ...commit, commit: { ...commit.commit, events } }, sel, diffs)) {
          process.stdout.write(`${args.values.json ? formatJson(p) : formatStory(p, colour)}\n`);
        }
      }
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
