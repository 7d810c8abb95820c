import { hostname } from 'node:os';
import { JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsNames } from '@cm/contracts';
import type { Logger, Nats } from '@cm/platform';
import type { ProgressWatch } from './progress-watch.js';

export interface LeaseOptions {
  nats: Nats;
  names: NatsNames;
  /** The key is `projection-<projection>`. */
  projection: string;
  ttlMs: number;
  logger: Logger;
}

// JetStream's "wrong last sequence": the key was written by someone else since our revision.
const WRONG_LAST_SEQUENCE = 10071;

/** Why a holder lost its lease: its apply loop stalled and it gave the lease up, or renewing it failed. */
export type LeaseLossCause = 'stalled' | 'renewal';

/**
 * The right to be a projection's one active instance, held as a key in the NATS KV bucket `names.leaseBucket`.
 *
 * Server 2.9 has no per-key TTL, so the bucket's `max_age` is the TTL: a key nobody renews disappears after it.
 * Taking the lease is `kv.create` (fails while the key exists); renewing is `kv.update` against the revision we
 * hold (fails once someone else holds it, or once it expired). Renewal runs every ttl/3; a revision mismatch
 * (or a failure with no time left for another attempt) counts as loss, and the holder must stop at once. `isValid()` is a local bound on top: the key cannot
 * outlive `ttl` after the last write we saw succeed, measured from before we sent it. A holder whose apply loop
 * stalls gives the key up instead of renewing it (see `startRenewing`).
 */
export class ProjectionLease {
  readonly key: string;
  readonly holder = `${hostname()}:${process.pid}:${Math.random().toString(16).slice(2, 8)}`;
  private revision = 0;
  private validUntil = 0;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly kv: KV,
    private readonly opts: LeaseOptions,
  ) {
    this.key = `projection-${opts.projection}`;
  }

  /** Opens the lease bucket, creating it (max_age = ttl) if missing. */
  static async open(opts: LeaseOptions): Promise<ProjectionLease> {
    const kvm = new Kvm(opts.nats.js);
    const kv = await kvm.create(opts.names.leaseBucket, { ttl: opts.ttlMs, history: 1 });
    const status = await kv.status();
    if (status.ttl !== opts.ttlMs) {
      opts.logger.warn(
        { bucket: opts.names.leaseBucket, bucketTtlMs: status.ttl, configuredTtlMs: opts.ttlMs },
        'lease bucket has another max_age; it decides',
      );
    }
    return new ProjectionLease(kv, opts);
  }

  get held(): boolean {
    return this.revision > 0;
  }

  /** Held, and certainly not expired on the server yet. */
  isValid(): boolean {
    return this.held && Date.now() < this.validUntil;
  }

  /** One attempt to take the lease; true if we hold it now. */
  async tryAcquire(): Promise<boolean> {
    if (this.held) return true;
    const sent = Date.now();
    try {
      this.revision = await this.kv.create(this.key, this.value());
    } catch {
      // Someone holds it (or NATS is unreachable): a standby tries again later. But the holder may be this very
      // process, its lease given up after a failed renewal: adopt it rather than stall the projection for a TTL.
      return this.adoptOwn(sent);
    }
    this.validUntil = sent + this.opts.ttlMs;
    return true;
  }

  /**
   * Renews every ttl/3 until `stopRenewing` or the first failure, which it reports once through `onLost`.
   *
   * The lease is the right to write, so it is only worth renewing while the holder can write: a NATS connection
   * that works says nothing about the database. Before each renewal `stalled` is asked; a reason from it gives the
   * lease up at once (so a standby with a working connection need not even wait for the key to expire) and is
   * reported through `onLost`. Whatever the stalled holder sends later is refused by the fenced checkpoint. Every
   * projection passes its apply loop's `ProgressWatch` here; there is no renewal without one.
   */
  startRenewing(
    onLost: (reason: string, cause: LeaseLossCause) => void,
    progress: Pick<ProgressWatch, 'stalled'>,
  ): void {
    this.stopRenewing();
    const period = this.period();
    this.timer = setInterval(() => {
      const stall = progress.stalled();
      if (stall !== undefined) {
        void this.release();
        onLost(`${stall}; lease given up`, 'stalled');
        return;
      }
      void this.renew().then((reason) => {
        if (reason === undefined || this.timer === undefined) return;
        this.stopRenewing();
        onLost(reason, 'renewal');
      });
    }, period);
    this.timer.unref();
  }

  stopRenewing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Resolves to why the lease is lost, or undefined if it was renewed. Only a revision mismatch proves someone
   * else holds it; a timeout or disconnect is tolerated while another attempt still fits before the key expires.
   */
  private async renew(): Promise<string | undefined> {
    if (!this.held) return 'not held';
    const sent = Date.now();
    const revision = this.revision;
    try {
      const next = await this.kv.update(this.key, this.value(), revision);
      if (this.revision !== revision) {
        // Given up while this renewal was on its way: give up what it wrote too.
        await this.kv.delete(this.key, { previousSeq: next }).catch(() => undefined);
        return undefined;
      }
      this.revision = next;
      this.validUntil = sent + this.opts.ttlMs;
      return undefined;
    } catch (e) {
      const taken = e instanceof JetStreamApiError && e.code === WRONG_LAST_SEQUENCE;
      if (!taken && Date.now() + this.period() < this.validUntil) {
        this.opts.logger.warn(
          { err: (e as Error).message },
          'projector lease renewal failed; retrying before it expires',
        );
        return undefined;
      }
      this.revision = 0;
      this.validUntil = 0;
      return (e as Error).message;
    }
  }

  /** Takes over the key if it still holds this instance's own value (see `tryAcquire`). */
  private async adoptOwn(sent: number): Promise<boolean> {
    try {
      const entry = await this.kv.get(this.key);
      if (!entry || entry.operation !== 'PUT' || (entry.json<{ holder?: string }>().holder ?? '') !== this.holder)
        return false;
      this.revision = await this.kv.update(this.key, this.value(), entry.revision);
      this.validUntil = sent + this.opts.ttlMs;
      return true;
    } catch {
      return false;
    }
  }

  private period(): number {
    return Math.max(100, Math.floor(this.opts.ttlMs / 3));
  }

  /** Gives the lease up so a standby can take over at once; a no-op if it is already gone. */
  async release(): Promise<void> {
    this.stopRenewing();
    if (!this.held) return;
    const revision = this.revision;
    this.revision = 0;
    this.validUntil = 0;
    // Only our own revision: if someone else holds the key by now, the delete fails and leaves theirs alone.
    await this.kv.delete(this.key, { previousSeq: revision }).catch(() => undefined);
  }

  private value(): string {
    return JSON.stringify({ holder: this.holder, renewedAt: new Date().toISOString() });
  }
}
