import { AppError, ErrorCode, type Command, type CommandReply, type NatsNames } from '@cm/contracts';
import type { Logger, NatsConnection } from '@cm/platform';

/** What became of one command: applied now, already applied earlier (same id), or nothing left to do. */
export type CommandOutcome = 'applied' | 'duplicate' | 'nothing-to-do';

/**
 * Sends commands to the command service exactly as the GraphQL edge does (plain JSON request/reply on
 * `<prefix>.cmd.<aggregate>.<verb>`, the contracts' envelope). A rejection the job cannot fix by retrying the
 * same command later (`NOT_FOUND`: the entity went away; `INVALID_STATE`: already activated, expired ...) is
 * "nothing to do"; every other failure throws an `AppError`, which fails the job's attempt.
 */
export class CommandSender {
  constructor(
    private readonly nc: NatsConnection,
    private readonly names: NatsNames,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  async send(command: Command): Promise<CommandOutcome> {
    let reply: CommandReply;
    try {
      const msg = await this.nc.request(this.names.commandSubject(command.type), JSON.stringify(command), {
        timeout: this.timeoutMs,
      });
      reply = msg.json<CommandReply>();
    } catch (e) {
      const message = (e as Error).message ?? String(e);
      const code = /timeout/i.test(message) ? ErrorCode.TIMEOUT : ErrorCode.UNAVAILABLE;
      throw new AppError(code, `command ${command.type} not answered: ${message}`, { commandId: command.commandId });
    }
    if (reply.ok) return reply.duplicate ? 'duplicate' : 'applied';
    if (reply.error.code === ErrorCode.NOT_FOUND || reply.error.code === ErrorCode.INVALID_STATE) {
      this.logger.debug(
        { commandId: command.commandId, correlationId: command.correlationId, code: reply.error.code },
        'scheduled command had nothing to do',
      );
      return 'nothing-to-do';
    }
    throw AppError.from(reply.error);
  }

  /**
   * Runs each entity's commands in order and the entities side by side, at most `concurrency` in flight. Returns
   * the ids of the entities whose commands all went through; the first failure is thrown once everything that
   * was started has settled, with the finished entities on the error (`completed`).
   */
  async sendSteps(
    steps: { entityId: string; commands: Command[] }[],
    concurrency: number,
  ): Promise<{ completed: string[]; applied: number }> {
    const completed: string[] = [];
    let applied = 0;
    let failure: unknown;
    let next = 0;
    const lane = async () => {
      while (failure === undefined && next < steps.length) {
        const step = steps[next++]!;
        try {
          for (const command of step.commands) if ((await this.send(command)) === 'applied') applied += 1;
          completed.push(step.entityId);
        } catch (e) {
          failure ??= e;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, steps.length) }, lane));
    if (failure !== undefined) throw Object.assign(failure as object, { completed });
    return { completed, applied };
  }
}
