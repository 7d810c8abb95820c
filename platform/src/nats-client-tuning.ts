import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { RequestOne } from '@nats-io/nats-core/internal';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

// Two costs of the NATS client on our hot paths that CPU profiles of the benchmark showed (docs/perf.md has the
// figures and the runs), removed here without changing what the client does. Both patches reach into the
// client's internals: they check the shape they rely on and leave the client untouched when it differs, and
// `tuneNatsClient` warns when the installed client is not the version they were written for.

/** The client versions these patches were written for and tested against (nats-client-tuning.int.spec.ts). */
export const NATS_CLIENT_TUNED_FOR = { '@nats-io/nats-core': '3.4.0', '@nats-io/transport-node': '3.4.0' } as const;
type ClientPackage = keyof typeof NATS_CLIENT_TUNED_FOR;

/** The versions of the client packages this process loads, read from their package.json. */
export function installedNatsClientVersions(): Record<ClientPackage, string> {
  const require = createRequire(import.meta.url);
  const version = (pkg: ClientPackage): string => {
    // The packages do not export their package.json: find it above their entry module.
    for (let dir = dirname(require.resolve(pkg)); dir !== dirname(dir); dir = dirname(dir)) {
      const manifest = join(dir, 'package.json');
      if (!existsSync(manifest)) continue;
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version: string };
      if (name === pkg) return version;
    }
    return 'unknown';
  };
  return {
    '@nats-io/nats-core': version('@nats-io/nats-core'),
    '@nats-io/transport-node': version('@nats-io/transport-node'),
  };
}

/** `<package> <installed> (tuned for <version>)` for each client package whose version differs; empty when none. */
export function natsClientVersionDrift(
  installed: Record<ClientPackage, string> = installedNatsClientVersions(),
): string[] {
  return (Object.keys(NATS_CLIENT_TUNED_FOR) as ClientPackage[])
    .filter((pkg) => installed[pkg] !== NATS_CLIENT_TUNED_FOR[pkg])
    .map((pkg) => `${pkg} ${installed[pkg]} (tuned for ${NATS_CLIENT_TUNED_FOR[pkg]})`);
}

interface NodeTransportInternals {
  _send(frame: Uint8Array): Promise<void>;
  socket?: { cork(): void; uncork(): void; destroyed?: boolean };
  [CORKED]?: boolean;
}
const CORKED = Symbol('cm.corked');
const TUNED = Symbol('cm.tuned');

/**
 * One socket write per event-loop turn. The client flushes its outbound buffer in a microtask, so every handler
 * that publishes after an `await` (a reply, a JetStream publish, an ack) costs its own `write` syscall, the
 * largest single cost of the command service under load. Corking the socket on the first write of a turn and uncorking it in
 * `setImmediate` sends everything the turn produced in one `writev`; the delay is the rest of the turn. Patched
 * on the transport class, so reconnects (new instances) keep it.
 */
function coalesceSocketWrites(nc: NatsConnection): boolean {
  const transport = (nc as unknown as { protocol?: { transport?: NodeTransportInternals } }).protocol?.transport;
  const proto = transport && (Object.getPrototypeOf(transport) as NodeTransportInternals & { [TUNED]?: boolean });
  if (proto?.[TUNED]) return true;
  if (!proto || typeof proto._send !== 'function' || proto._send.length !== 1) return false;
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
  return true;
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
 * `cancel()`, which builds `new RequestError("cancelled")` (a captured stack) only to reject a promise that is
 * already resolved, once per JetStream publish and per request.
 */
function skipSettledCancelError(): boolean {
  const proto = RequestOne.prototype as unknown as RequestOneInternals & { [TUNED]?: boolean };
  if (proto[TUNED]) return true;
  if (typeof proto.resolver !== 'function' || typeof proto.cancel !== 'function') return false;
  if (proto.resolver.length !== 2 || proto.cancel.length !== 1) return false;
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
  return true;
}

/** Which patches are in place on the client (false: its shape was not the expected one, so it runs as shipped). */
export interface NatsClientTuning {
  coalesceSocketWrites: boolean;
  skipSettledCancelError: boolean;
}

let warned = false;

/**
 * Applies both patches to a new connection (idempotent) and says which are in place. With a logger, warns once
 * per process when the installed client is not the version they were written for, or when a patch did not apply:
 * the client then works as shipped, at the cost the patches removed.
 */
export function tuneNatsClient(nc: NatsConnection, logger?: Logger): NatsClientTuning {
  const tuning = { coalesceSocketWrites: coalesceSocketWrites(nc), skipSettledCancelError: skipSettledCancelError() };
  if (logger && !warned) {
    const drift = natsClientVersionDrift();
    const missing = Object.entries(tuning)
      .filter(([, applied]) => !applied)
      .map(([name]) => name);
    if (drift.length || missing.length) {
      warned = true;
      logger.warn(
        { installed: drift, notApplied: missing },
        'NATS client tuning (platform/src/nats-client-tuning.ts) was written for another client version: check that its patches still apply and still pay',
      );
    }
  }
  return tuning;
}
