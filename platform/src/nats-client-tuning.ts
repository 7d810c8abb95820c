import { RequestOne } from '@nats-io/nats-core/internal';
import type { NatsConnection } from '@nats-io/transport-node';

// Two costs of the NATS client (@nats-io/nats-core and transport-node 3.4) on our hot paths, measured with
// `npm run bench -- --cpu-prof-dir`, and removed here without changing what the client does. Both patches check
// the shape they rely on and leave the client untouched when it differs (another client version).

interface NodeTransportInternals {
  _send(frame: Uint8Array): Promise<void>;
  socket?: { cork(): void; uncork(): void; destroyed?: boolean };
  [CORKED]?: boolean;
}
const CORKED = Symbol('cm.corked');
const TUNED = Symbol('cm.tuned');

/**
 * One socket write per event-loop turn. The client flushes its outbound buffer in a microtask, so every handler
 * that publishes after an `await` (a reply, a JetStream publish, an ack) costs its own `write` syscall: ~35% of
 * the command service's CPU at 64 senders. Corking the socket on the first write of a turn and uncorking it in
 * `setImmediate` sends everything the turn produced in one `writev`; the delay is the rest of the turn. Patched
 * on the transport class, so reconnects (new instances) keep it.
 */
function coalesceSocketWrites(nc: NatsConnection): void {
  const transport = (nc as unknown as { protocol?: { transport?: NodeTransportInternals } }).protocol?.transport;
  const proto = transport && (Object.getPrototypeOf(transport) as NodeTransportInternals & { [TUNED]?: boolean });
  if (!proto || typeof proto._send !== 'function' || proto[TUNED]) return;
  const send = proto._send;
  proto._send = function (this: NodeTransportInternals, frame: Uint8Array) {
    const socket = this.socket;
    if (socket && !socket.destroyed && !this[CORKED]) {
      this[CORKED] = true;
      socket.cork();
      setImmediate(() => {
        this[CORKED] = false;
        socket.uncork();
      });
    }
    return send.call(this, frame);
  };
  proto[TUNED] = true;
}

interface RequestOneInternals {
  resolver(err: Error | null, msg: unknown): void;
  cancel(err?: Error): void;
  timer?: { cancel(): void };
  mux: { cancel(r: unknown): void };
  [SETTLED]?: boolean;
}
const SETTLED = Symbol('cm.settled');

/**
 * No error object for a request that already completed. After a reply settles a request, the client calls
 * `cancel()`, which builds `new RequestError("cancelled")` (a captured stack, ~6 µs here) only to reject a promise
 * that is already resolved: ~4% of the command service's CPU, once per JetStream publish and per request.
 */
function skipSettledCancelError(): void {
  const proto = RequestOne.prototype as unknown as RequestOneInternals & { [TUNED]?: boolean };
  if (typeof proto.resolver !== 'function' || typeof proto.cancel !== 'function' || proto[TUNED]) return;
  const { resolver, cancel } = proto;
  proto.resolver = function (this: RequestOneInternals, err, msg) {
    this[SETTLED] = true;
    resolver.call(this, err, msg);
  };
  proto.cancel = function (this: RequestOneInternals, err?: Error) {
    if (!this[SETTLED] || err) return cancel.call(this, err);
    this.timer?.cancel();
    this.mux.cancel(this);
  };
  proto[TUNED] = true;
}

/** Applies both to a new connection (idempotent). */
export function tuneNatsClient(nc: NatsConnection): void {
  coalesceSocketWrites(nc);
  skipSettledCancelError();
}
