import type { ConsumerMessages } from '@nats-io/jetstream';
import { decodeCommit, type NatsNames } from '@cm/contracts';
import { Registry, StreamFollower, type Logger, type Nats, type ReadinessCheck } from '@cm/platform';
import type { RulesState } from '../rules-state.js';

/**
 * This instance's own ordered consumer on the event stream (ephemeral, flow-controlled, re-created by the client
 * after a gap), starting right after the checkpoint its facts were loaded at. Every instance follows the whole
 * stream itself, so each invalidates its own cache on the same events; no instance depends on another. Its lag,
 * events applied and apply time are on `registry` (platform's StreamFollower, projection label `rules`).
 */
export class EventFollower {
  private messages: ConsumerMessages | undefined;
  private waiters: { seq: number; resolve: () => void }[] = [];
  /** The stream's last sequence when the follower started: being past it means being at the head. */
  private startHead = 0;
  private caughtUp = false;
  private readonly stream: StreamFollower;
  applyErrors = 0;

  constructor(
    private readonly nats: Nats,
    private readonly names: NatsNames,
    private readonly state: RulesState,
    private readonly logger: Logger,
    observe: { registry?: Registry; maxLagSeconds?: number } = {},
  ) {
    this.stream = new StreamFollower(nats, {
      stream: names.eventStream,
      filter: names.eventWildcard,
      role: 'rules',
      registry: observe.registry ?? new Registry(),
      appliedSeq: () => state.appliedSeq,
      maxLagSeconds: observe.maxLagSeconds ?? 0,
      maxLagSetting: 'RULES_READY_MAX_LAG_SECONDS',
    });
  }

  /** `/ready` fails while the follower is further behind than its `maxLagSeconds` (none when 0). */
  get checks(): ReadinessCheck[] {
    return this.stream.checks;
  }

  async start(fromSeq: number): Promise<void> {
    this.startHead = (await this.nats.jsm.streams.info(this.names.eventStream)).state.last_seq;
    this.caughtUp = this.state.appliedSeq >= this.startHead;
    this.messages = await this.stream.open(fromSeq);
    void this.run(this.messages);
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    for await (const m of messages) {
      if (m.seq <= this.state.appliedSeq) continue;
      const started = performance.now();
      try {
        const events = decodeCommit(m.data).events;
        this.state.applyCommit(events, m.seq);
        this.stream.applied(events.length, started);
      } catch (err) {
        // An event this version cannot read must not stop the others; its entity's results may then be stale
        // until they expire, which the counter (cm_rules_apply_errors_total) makes visible.
        this.applyErrors++;
        this.state.appliedSeq = m.seq;
        this.logger.error({ err, seq: m.seq }, 'rules: could not apply a commit');
      }
      if (!this.caughtUp && this.state.appliedSeq >= this.startHead) this.caughtUp = true;
      if (this.waiters.length > 0) this.release();
    }
  }

  /** True once the consumer has applied everything the stream held when it started. */
  get atHead(): boolean {
    return this.caughtUp;
  }

  /** Resolves once `seq` is applied; false when `timeoutMs` passes first. */
  waitFor(seq: number, timeoutMs: number): Promise<boolean> {
    if (this.state.appliedSeq >= seq) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = {
        seq,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.waiters.push(waiter);
    });
  }

  private release(): void {
    const applied = this.state.appliedSeq;
    const ready = this.waiters.filter((w) => w.seq <= applied);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.seq > applied);
    for (const w of ready) w.resolve();
  }

  async stop(): Promise<void> {
    await this.messages?.close();
  }
}
