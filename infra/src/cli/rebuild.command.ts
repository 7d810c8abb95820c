import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../paths.js';
import { CliFailure, namespaceOption, parseCommandArgs, UsageError, type CliCommand } from './command.js';
import { schemaOption } from './read-model-db.js';

const help = `
Usage: cm rebuild postgres [--namespace cm] [--schema public] [--restart] [--batch-size 500] [--json]
       cm rebuild redis [--namespace cm] [--restart] [--batch-size 500] [--json]
       cm rebuild [postgres|redis] --drop-old [--schema public]

Rebuilds the Postgres read model from sequence 1 into a shadow schema (<schema>_rebuild) while the live one
keeps serving, with a progress bar (events/s, ETA); once the shadow has caught up with the live projection the
two are swapped in one transaction (schema renames: readers and the projector name the schema in each
statement, so their next statement reads the new generation). The previous generation is kept as
<schema>_old_<timestamp> until --drop-old. An interrupted rebuild resumes from the shadow's checkpoint on the
next run (or starts over with --restart). Runs query-service/dist/projector/rebuild.main.js, with the
DATABASE_URL and NATS_URL of this environment.

cm rebuild redis does the same for the Redis read model (REDIS_URL, REDIS_MODEL_DB): it projects into a shadow
generation under <namespace>:rm:g:<time>-<id>: while the live one serves, then one script points
<namespace>:rm:current at it once it is at or past the live projection's checkpoint (every read and the live
projector's writes resolve that pointer in their own script, so none sees a half-built generation). The
previous generation is kept until cm rebuild redis --drop-old. Without a projection, --drop-old drops Postgres's.

Options:
  --namespace <ns>     namespace prefix (default $CM_NAMESPACE or cm)
  --schema <schema>    the live read-model schema (default $DATABASE_SCHEMA or public; Postgres only)
  --restart            drop an interrupted shadow and start from sequence 1
  --batch-size <n>     events per shadow transaction (default PROJECTOR_BATCH_SIZE)
  --drop-old           drop the generations earlier rebuilds of the projection kept, and nothing else
  --json               progress and the report as JSON lines
  -h, --help           show this help
`;

type Progress = Record<string, unknown> & { phase: string };

export const rebuildCommand: CliCommand = {
  name: 'rebuild',
  summary: 'rebuild the Postgres or Redis read model into a shadow and swap it in atomically; --drop-old',
  help,
  async run(argv) {
    const args = parseCommandArgs(
      this,
      argv,
      {
        namespace: { type: 'string' },
        schema: { type: 'string' },
        restart: { type: 'boolean' },
        'batch-size': { type: 'string' },
        'drop-old': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      true,
    );
    if (!args) return 0;
    const dropOld = Boolean(args.values['drop-old']);
    const [projection, ...rest] = args.positionals;
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    if (!(projection === 'postgres' || projection === 'redis' || (dropOld && projection === undefined)))
      throw new UsageError(
        `name the projection to rebuild: postgres or redis${projection ? ` (not ${JSON.stringify(projection)})` : ''}`,
      );
    const batch = args.values['batch-size'] as string | undefined;
    if (batch !== undefined && !(Number.isInteger(Number(batch)) && Number(batch) > 0))
      throw new UsageError('--batch-size must be a positive integer');
    const childArgs = [
      ...(projection === 'redis' ? ['--projection', 'redis'] : []),
      ...(dropOld
        ? ['--drop-old']
        : [...(args.values.restart ? ['--restart'] : []), ...(batch ? ['--batch-size', batch] : [])]),
    ];
    const env = {
      ...process.env,
      CM_NAMESPACE: namespaceOption(args.values.namespace as string | undefined),
      DATABASE_SCHEMA: schemaOption(args.values.schema as string | undefined),
      NODE_ENV: process.env.NODE_ENV ?? 'development',
      LOG_FORMAT: 'json',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    };
    const json = Boolean(args.values.json);
    const view = json ? jsonView() : barView(projection ?? 'postgres');
    const code = await runRebuild(childArgs, env, view);
    if (code !== 0)
      throw new CliFailure(
        `rebuild process exited with ${code}${view.last ? ` after ${view.last.phase}` : ''}; run again to resume`,
      );
    return 0;
  },
};

interface View {
  last: Progress | undefined;
  show(p: Progress): void;
}

function runRebuild(args: string[], env: NodeJS.ProcessEnv, view: View): Promise<number> {
  const child = spawn(process.execPath, [join(repoRoot, 'query-service/dist/projector/rebuild.main.js'), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = () => child.kill('SIGTERM');
  process.once('SIGINT', stop);
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (parsed && typeof parsed === 'object' && 'phase' in parsed) {
      view.last = parsed as Progress;
      view.show(parsed as Progress);
    } else process.stderr.write(`${line}\n`); // the rebuild's own log lines
  });
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      process.off('SIGINT', stop);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

function jsonView(): View {
  return {
    last: undefined,
    show: (p) => process.stdout.write(`${JSON.stringify(p)}\n`),
  };
}

/** A progress bar on a terminal (one line redrawn), a line every few seconds otherwise, and the final report. */
function barView(projection: string): View {
  const tty = Boolean(process.stderr.isTTY);
  let lastLine = 0;
  const view: View = {
    last: undefined,
    show(p) {
      if (p.phase === 'start') {
        const resumed = Number(p.resumedAt) > 0 ? `resuming at ${p.resumedAt}` : 'from sequence 1';
        process.stderr.write(`rebuilding ${p.live} into ${p.shadow} ${resumed}, up to ${p.target}\n`);
      } else if (p.phase === 'project') {
        const checkpoint = Number(p.checkpoint);
        const target = Math.max(Number(p.target), checkpoint, 1);
        const rate = Number(p.events) / Math.max(0.001, Number(p.elapsedMs) / 1000);
        const eta = rate > 0 ? (target - checkpoint) / rate : 0;
        const width = 30;
        const done = Math.round((checkpoint / target) * width);
        const line = `[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${((checkpoint / target) * 100).toFixed(1)}%  ${checkpoint}/${target}  ${Math.round(rate)} events/s  ETA ${eta.toFixed(0)} s`;
        if (tty) process.stderr.write(`\r${line}\x1b[K`);
        else if (Date.now() - lastLine > 2000) {
          process.stderr.write(`${line}\n`);
          lastLine = Date.now();
        }
      } else if (p.phase === 'catch-up') {
        process.stderr.write(
          `${tty ? '\n' : ''}catching up: shadow ${p.checkpoint}, live ${p.live}, stream ${p.last}\n`,
        );
      } else if (p.phase === 'swapped') {
        const rows = Object.entries(p.rows as Record<string, number>)
          .map(([t, n]) => `  ${t.padEnd(22)} ${String(n).padStart(10)}`)
          .join('\n');
        const redis = projection === 'redis';
        process.stdout.write(
          `swapped: ${redis ? `${p.live} (the generation <namespace>:rm:current names now)` : p.live} is the rebuilt generation (checkpoint ${p.checkpoint}; the live projection was at ${p.liveCheckpoint})\n` +
            `previous generation kept as ${p.old} (drop it with: npm run cm -- rebuild ${projection} --drop-old)\n` +
            `${p.events} events in ${(Number(p.elapsedMs) / 1000).toFixed(1)} s (${Math.round(Number(p.events) / Math.max(0.001, Number(p.elapsedMs) / 1000))} events/s)\n${redis ? 'documents' : 'rows'}:\n${rows}\n`,
        );
      } else if (p.phase === 'dropped') {
        const dropped = (p.schemas ?? p.generations) as string[];
        process.stdout.write(dropped.length ? `dropped ${dropped.join(', ')}\n` : 'no old generations to drop\n');
      }
    },
  };
  return view;
}
