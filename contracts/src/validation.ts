import type { z } from 'zod';
import { commandEnvelopeSchema, commandPayloadSchemas, type Command } from './commands.js';
import { AppError, ErrorCode } from './errors.js';

/** Parses `value` with `schema` or throws a `VALIDATION` error naming each bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = issues[0]!;
  throw new AppError(ErrorCode.VALIDATION, `invalid ${what}: ${first.path ? `${first.path} ` : ''}${first.message}`, {
    issues,
  });
}

/** Validates a whole command envelope and its payload; defaults of the payload schema are applied. */
export function parseCommand(raw: unknown): Command {
  const envelope = parseOrThrow(commandEnvelopeSchema, raw, 'command');
  const schema = commandPayloadSchemas[envelope.type as keyof typeof commandPayloadSchemas];
  const payload = parseOrThrow(schema, envelope.payload ?? {}, `${envelope.type} payload`);
  return { ...envelope, payload } as Command;
}
