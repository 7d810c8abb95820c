import { natsNames } from '@cm/contracts';
import { readStream } from '@cm/platform';
import { withNats } from '../nats-admin.js';
import { namespaceOption, parseCommandArgs, UsageError, type CliCommand } from './command.js';
import { EventDiffs } from './event-diffs.js';
import { formatJson, formatLine, useColour } from './event-format.js';
import { selectedEvents } from './event-printer.js';
import { FILTER_HELP, FILTER_OPTIONS, position, rangeOf, selection } from './event-range.js';

const help = `
Usage: cm tail [filters] [--from <seq|time>] [--verbose] [--json] [--limit n]

Follows the event stream as events are written, one line each: sequence, stream time, campaign/branch,
entity, event type (coloured on a terminal), user, and what the event changed (asked of the command
service, which folds the entity with its deciders; the event's data when none answers). Ctrl-C stops.

Options:${FILTER_HELP}
  --from <seq|time>     start in the past: at a stream sequence or an ISO-8601 time (default: new events only)
  --verbose             also the command, correlation and causation ids and the event's payload
  --limit <n>           stop after n events
  -h, --help            show this help

Examples:
  npm run cm -- tail --campaign shattered-crown --type SettlementRenamed
  npm run cm -- tail --from 2026-11-29T20:00:00Z --user demo-gm --json
`;

export const tailCommand: CliCommand = {
  name: 'tail',
  summary: 'follow events as they are written, filtered by campaign, branch, entity, type or user',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, {
      ...FILTER_OPTIONS,
      from: { type: 'string' },
      verbose: { type: 'boolean' },
      limit: { type: 'string' },
    });
    if (!args) return 0;
    const names = natsNames(namespaceOption(args.values.namespace as string | undefined));
    const sel = selection(args.values, names);
    const limit = args.values.limit === undefined ? Number.POSITIVE_INFINITY : Number(args.values.limit);
    if (!(limit > 0)) throw new UsageError('--limit must be a positive number');
    const range = { filter: sel.filter, follow: true, ...rangeOf(position(args.values.from, 'from'), undefined) };
    const colour = useColour(process.stdout);
    return withNats('cm-cli:tail', async (nats) => {
      const diffs = args.values['no-diff'] ? undefined : new EventDiffs(nats, names);
      const stop = new Promise<'stop'>((resolve) => process.once('SIGINT', () => resolve('stop')));
      const stream = readStream(nats, names.eventStream, range);
      let printed = 0;
      for (;;) {
        const next = await Promise.race([stream.next(), stop]);
        if (next === 'stop' || next.done) break;
        for (const p of await selectedEvents(next.value, sel, diffs)) {
          process.stdout.write(
            `${args.values.json ? formatJson(p) : formatLine(p, colour, Boolean(args.values.verbose))}\n`,
          );
          if (++printed >= limit) break;
        }
        if (printed >= limit) break;
      }
      await stream.return(undefined);
      return 0;
    });
  },
};
