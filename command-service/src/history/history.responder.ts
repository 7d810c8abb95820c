import {
  AppError,
  ErrorCode,
  toErrorPayload,
  type HistoryReply,
  type HistoryRequest,
  type NatsNames,
} from '@cm/contracts';
import type { Logger, Nats } from '@cm/platform';
import type { Subscription } from '@nats-io/transport-node';
import type { EntityHistory } from './entity-history.js';

const decoder = new TextDecoder();

/**
 * Answers `HistoryRequest`s on `names.historySubject` (queue group of the command service). Authorisation is
 * the asker's: the query service answers only owners and game masters, and the CLI is an operator's tool.
 */
export function serveHistory(nats: Nats, names: NatsNames, history: EntityHistory, logger: Logger): Subscription {
  return nats.nc.subscribe(names.historySubject, {
    queue: names.commandQueue,
    callback: (err, msg) => {
      if (err) return;
      void answer(history, msg.data).then(
        (reply) => msg.respond(JSON.stringify(reply)),
        (e: unknown) => {
          if (!(e instanceof AppError)) logger.error({ err: e }, 'history request failed');
          msg.respond(JSON.stringify({ ok: false, error: toErrorPayload(e) } satisfies HistoryReply<never>));
        },
      );
    },
  });
}

async function answer(history: EntityHistory, data: Uint8Array): Promise<HistoryReply<unknown>> {
  let request: HistoryRequest;
  try {
    request = JSON.parse(decoder.decode(data)) as HistoryRequest;
  } catch {
    throw new AppError(ErrorCode.VALIDATION, 'a history request is a JSON object');
  }
  switch (request.op) {
    case 'history':
      return { ok: true, result: await history.page(request.address, request.after ?? 0, request.first) };
    case 'at':
      return { ok: true, result: await history.at(request.address, request.seq, request.time) };
    default:
      throw new AppError(ErrorCode.VALIDATION, `unknown history op ${String((request as { op?: unknown }).op)}`);
  }
}
