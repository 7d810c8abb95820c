#!/usr/bin/env node
// The operator CLI: `npm run cm -- <command>` (= node infra/dist/cli.js <command>).
import { ConfigError } from '@cm/platform';
import { CliFailure, UsageError, type CliCommand } from './cli/command.js';
import { jobsCommand } from './cli/jobs.command.js';
import { lagCommand } from './cli/lag.command.js';
import { parkedCommand } from './cli/parked.command.js';
import { provisionCommand } from './cli/provision.command.js';
import { rebuildCommand } from './cli/rebuild.command.js';
import { replayCommand } from './cli/replay.command.js';
import { seedCommand } from './cli/seed.command.js';
import { streamsCommand } from './cli/streams.command.js';
import { tailCommand } from './cli/tail.command.js';
import { tokenCommand } from './cli/token.command.js';
import { upCommand } from './cli/up.command.js';

const COMMANDS: CliCommand[] = [
  upCommand,
  seedCommand,
  provisionCommand,
  streamsCommand,
  lagCommand,
  parkedCommand,
  rebuildCommand,
  tailCommand,
  replayCommand,
  tokenCommand,
  jobsCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: npm run cm -- <command> [options]      (node infra/dist/cli.js <command> [options])',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `npm run cm -- <command> --help` for the options of a command.',
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`cm: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`cm ${name}: ${e.message}\nRun \`npm run cm -- ${name} --help\` for usage.\n`);
      return e.exitCode;
    }
    if (e instanceof CliFailure) {
      process.stderr.write(`cm ${name}: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`cm ${name}: ${e.message}\n`);
      return 78;
    }
    // Connection problems are the usual cause; say so without a stack trace.
    const message = (e as Error)?.message ?? String(e);
    const hint = /CONNECTION_REFUSED|ECONNREFUSED|connection refused/i.test(message)
      ? ' (is the stack up? bash infra/scripts/ensure-stack.sh)'
      : '';
    process.stderr.write(`cm ${name}: ${message}${hint}\n`);
    if (process.env.CM_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
    return 1;
  }
}

// process.exitCode instead of exit(): lets stdout drain when piped.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`cm: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
