import { parseArgs, type ParseArgsConfig } from 'node:util';

/** One `cm` subcommand. `run` resolves to the process exit code. */
export interface CliCommand {
  name: string;
  summary: string;
  /** Full help text: usage line, options, examples. */
  help: string;
  run(argv: string[]): Promise<number>;
}

/** A mistake in how the CLI was called: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** A failure the user can act on: printed as is (no stack), exit code 1. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Option values by name (strings, or booleans for flags) and the positional arguments. */
export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * `node:util` parseArgs in strict mode, with `--help` on every command and parse errors turned into
 * `UsageError`s. Returns `undefined` when help was asked for (and printed).
 */
export function parseCommandArgs(
  command: Pick<CliCommand, 'help'>,
  argv: string[],
  options: Options,
  allowPositionals = false,
): ParsedArgs | undefined {
  let parsed: ParsedArgs;
  try {
    const config: ParseArgsConfig = {
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals,
      allowNegative: true,
    };
    parsed = parseArgs(config) as ParsedArgs;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (parsed.values.help) {
    process.stdout.write(`${command.help.trim()}\n`);
    return undefined;
  }
  return parsed;
}

/** Parses a port option: 0-65535. */
export function portOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--${name} must be a port number (0-65535), got ${JSON.stringify(value)}`);
  return n;
}

/** The namespace option every NATS-facing command shares; validated like the services validate CM_NAMESPACE. */
export function namespaceOption(value: string | undefined): string {
  const ns = value ?? process.env.CM_NAMESPACE ?? 'cm';
  if (!/^[a-z][a-z0-9]{0,15}$/.test(ns))
    throw new UsageError(
      `--namespace must be 1-16 lowercase letters or digits, starting with a letter; got ${JSON.stringify(ns)}`,
    );
  return ns;
}
