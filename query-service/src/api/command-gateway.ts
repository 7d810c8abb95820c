import { AppError, ErrorCode, type Command, type CommandReply, type NatsNames } from '@cm/contracts';
import type { Logger, NatsConnection } from '@cm/platform';
import { natsRequestError } from './errors.js';

/** A successful reply of the command service. */
export type CommandAccepted = Extract<CommandReply, { ok: true }>;

export interface CommandGatewayOptions {
  nc: NatsConnection;
  names: NatsNames;
  timeoutMs: number;
  logger: Logger;
  /** Called once per command with its reply code (`ok` or an `ErrorCode`). */
  onReply?: (type: string, code: string) => void;
}

const decoder = new TextDecoder();

/**
 * Sends validated commands to the command service over NATS request/reply (plain JSON both ways) and
 * turns every failure into an `AppError`: the service's own answer keeps its code and details.
 */
export class CommandGateway {
  constructor(private readonly opts: CommandGatewayOptions) {}

  private request(subject: string, data: string): Promise<Uint8Array> {
    // Commands sent in one event-loop turn leave in one socket write (platform's NATS client tuning).
    return this.opts.nc.request(subject, data, { timeout: this.opts.timeoutMs }).then((msg) => msg.data);
  }

  async send(command: Command): Promise<CommandAccepted> {
    const subject = this.opts.names.commandSubject(command.type);
    const started = performance.now();
    const log = { correlationId: command.correlationId, commandId: command.commandId, type: command.type, aggregateId: command.aggregateId };
    let reply: CommandReply;
    try {
      reply = parseReply(await this.request(subject, JSON.stringify(command)));
    } catch (e) {
      const error = e instanceof AppError ? e : natsRequestError(e, subject, command.commandId);
      this.opts.onReply?.(command.type, error.code);
      if (error.code === ErrorCode.INTERNAL) this.opts.logger.error({ ...log, err: e }, 'command request failed');
      else this.opts.logger.warn({ ...log, code: error.code, ms: elapsed(started) }, 'command not answered');
      throw error;
    }
    if (!reply.ok) {
      this.opts.onReply?.(command.type, reply.error.code);
      this.opts.logger.info({ ...log, code: reply.error.code, message: reply.error.message, ms: elapsed(started) }, 'command rejected');
      throw AppError.from(reply.error);
    }
    this.opts.onReply?.(command.type, 'ok');
    this.opts.logger.info({ ...log, seq: reply.seq, duplicate: reply.duplicate === true, ms: elapsed(started) }, 'command accepted');
    return reply;
  }
}

const elapsed = (started: number) => Math.round(performance.now() - started);

/** A reply we cannot read is a fault between our services, not the client's: `INTERNAL`. */
function parseReply(data: Uint8Array): CommandReply {
  let reply: unknown;
  try {
    reply = JSON.parse(decoder.decode(data));
  } catch {
    throw new AppError(ErrorCode.INTERNAL, 'unreadable reply from the command service');
  }
  const r = reply as Partial<CommandReply> | null;
  if (r?.ok === true && Number.isSafeInteger(r.seq)) return r as CommandReply;
  if (r?.ok === false && r.error && typeof r.error.code === 'string') {
    const code = Object.values(ErrorCode).includes(r.error.code) ? r.error.code : ErrorCode.INTERNAL;
    return { ok: false, error: { ...r.error, code } };
  }
  throw new AppError(ErrorCode.INTERNAL, 'malformed reply from the command service');
}
