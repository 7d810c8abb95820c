import type { NatsNames } from '@cm/contracts';
import type { Nats } from '@cm/platform';
import type { Subscription } from '@nats-io/transport-node';

/** `cm parked retry` and `cm parked skip <seq> --reason`, sent to the projection's active instance. */
export type ParkedControlRequest = { op: 'retry' } | { op: 'skip'; seq: number; reason: string };

export type ParkedControlReply = { ok: true; applied: number[]; stillParked: number } | { ok: false; error: string };

/**
 * Answers `cm parked` on `names.parkedControlSubject(projection)`. Only the instance holding the lease writes the
 * read model, so only it answers; the CLI takes the first answer.
 *
 * Answers control requests with `handle`; `undefined` (a standby) stays silent. */
export function serveParkedControl(
  nats: Nats,
  names: NatsNames,
  projection: string,
  handle: (request: ParkedControlRequest) => Promise<ParkedControlReply | undefined>,
): Subscription {
  return nats.nc.subscribe(names.parkedControlSubject(projection), {
    callback: (err, msg) => {
      if (err) return;
      let request: ParkedControlRequest;
      try {
        request = JSON.parse(msg.string()) as ParkedControlRequest;
      } catch {
        msg.respond(JSON.stringify({ ok: false, error: 'request is not JSON' }));
        return;
      }
      handle(request).then(
        (reply) => {
          if (reply) msg.respond(JSON.stringify(reply));
        },
        (e: unknown) => msg.respond(JSON.stringify({ ok: false, error: (e as Error).message })),
      );
    },
  });
}
