import { AppError, ErrorCode, type Command, type CommandReply, type NatsNames } from '@cm/contracts';
import type { Logger, NatsConnection, NatsLink } from '@cm/platform';
import { natsRequestError } from './errors.js';

/** A successful reply of the command service. */
export type CommandAccepted = Extract<CommandReply, { ok: true }>;

export interface CommandGatewayOptions {
  nc: NatsConnection;
  /** The connection's state: while it is down, commands are refused at once instead of waiting out `timeoutMs`. */
  link: NatsLink;
  names: NatsNames;
  timeoutMs: number;
  logger: Logger;
  /** Called once per command with its reply code (`ok` or an `ErrorCode`). */
  onReply?: (type: string, code: string) => void;
}

const decoder = new TextDecoder();

/**
 * How long a client should wait before resending a command refused while NATS is down: about one reconnect
 * attempt of the client (`connectNats` retries every 500 ms plus jitter).
 */
export const RETRY_AFTER_SECONDS = 1;

interface InFlight {
  reject(error: AppError): void;
  subject: string;
  commandId: string;
}

/**
 * Sends validated commands to the command service over NATS request/reply (plain JSON both ways) and
 * turns every failure into an `AppError`: the service's own answer keeps its code and details.
 *
 * While the NATS connection is down, nats.js keeps a request pending until its timeout, though its reply cannot
 * come (core NATS keeps no messages: a reply sent while we are disconnected is gone). So a command sent while the link is down is refused at once, and the commands in flight when it drops are
 * answered at once, both `UNAVAILABLE` with `retryAfterSeconds`: resending with the same `commandId` is safe
 * (the event stream de-duplicates by command id), whether or not the first attempt was applied.
 */
export class CommandGateway {
  private readonly inFlight = new Set<InFlight>();
  private readonly unwatch: () => void;

  constructor(private readonly opts: CommandGatewayOptions) {
    this.unwatch = opts.link.onChange((state) => {
      if (state.connected) return;
      for (const request of [...this.inFlight]) {
        request.reject(
          new AppError(
            ErrorCode.UNAVAILABLE,
            'the connection to the command service dropped while the command was in flight; retry with the same commandId',
            {
              subject: request.subject,
              commandId: request.commandId,
              retryAfterSeconds: RETRY_AFTER_SECONDS,
            },
          ),
        );
      }
      this.inFlight.clear();
    });
  }

  /** Stops following the connection state; commands in flight still get their answers. */
  close(): void {
    this.unwatch();
  }

  private request(subject: string, data: string, commandId: string): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const entry: InFlight = { reject, subject, commandId };
      this.inFlight.add(entry);
      // Commands sent in one event-loop turn leave in one socket write (platform's NATS client tuning).
      this.opts.nc.request(subject, data, { timeout: this.opts.timeoutMs }).then(
        (msg) => {
          this.inFlight.delete(entry);
          resolve(msg.data);
        },
        (e: unknown) => {
          this.inFlight.delete(entry);
          reject(e as Error);
        },
      );
    });
  }

  /** The refusal of a command while NATS is down (the request could only wait out its timeout), or undefined. */
  private refusalWhileDown(subject: string, commandId: string): AppError | undefined {
    const down = this.opts.link.downReason();
    if (!down) return undefined;
    return new AppError(
      ErrorCode.UNAVAILABLE,
      `the command service cannot be reached (${down}); retry with the same commandId`,
      {
        subject,
        commandId,
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      },
    );
  }

  async send(command: Command): Promise<CommandAccepted> {
    const subject = this.opts.names.commandSubject(command.type);
    const started = performance.now();
    const log = {
      correlationId: command.correlationId,
      commandId: command.commandId,
      type: command.type,
      aggregateId: command.aggregateId,
    };
    const refused = this.refusalWhileDown(subject, command.commandId);
    if (refused) {
      // Debug only: the outage itself is logged once, by the connection; thousands of refusals would drown it.
      this.opts.onReply?.(command.type, refused.code);
      this.opts.logger.debug({ ...log, code: refused.code }, 'command refused: nats is down');
      throw refused;
    }
    let reply: CommandReply;
    try {
      reply = parseReply(await this.request(subject, JSON.stringify(command), command.commandId));
    } catch (e) {
      const error = e instanceof AppError ? e : natsRequestError(e, subject, command.commandId);
      this.opts.onReply?.(command.type, error.code);
      if (error.code === ErrorCode.INTERNAL) this.opts.logger.error({ ...log, err: e }, 'command request failed');
      else this.opts.logger.warn({ ...log, code: error.code, ms: elapsed(started) }, 'command not answered');
      throw error;
    }
    if (!reply.ok) {
      this.opts.onReply?.(command.type, reply.error.code);
      this.opts.logger.info(
        { ...log, code: reply.error.code, message: reply.error.message, ms: elapsed(started) },
        'command rejected',
      );
      throw AppError.from(reply.error);
    }
    this.opts.onReply?.(command.type, 'ok');
    this.opts.logger.info(
      { ...log, seq: reply.seq, duplicate: reply.duplicate === true, ms: elapsed(started) },
      'command accepted',
    );
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
