import { headers as natsHeaders } from '@nats-io/transport-node';
import { JetStreamApiError } from '@nats-io/jetstream';
import { AppError, decodeCommit, encodeCommit, ErrorCode, Headers, type Commit, type NatsNames } from '@cm/contracts';
import type { Nats } from '@cm/platform';

/** A commit as read back, with its stream position. */
export interface StoredCommit extends Commit {
  seq: number;
}

export interface AppendResult {
  seq: number;
  duplicate: boolean;
}

/** Thrown when the subject moved past the sequence we decided on: reload and decide again. */
export class WrongExpectedSequence extends Error {
  constructor(readonly subject: string, readonly expected: number) {
    super(`subject ${subject} is past sequence ${expected}`);
  }
}

// JetStream API error codes we act on.
const WRONG_LAST_SEQUENCE = 10071;

/**
 * The JetStream adapter of the event log. One message per command (a commit); per-aggregate optimistic
 * concurrency through `expect.lastSubjectSequence`; idempotency through `Nats-Msg-Id`.
 */
export class JetStreamEventStore {
  constructor(
    private readonly nats: Nats,
    readonly names: NatsNames,
  ) {}

  /**
   * Appends a commit if the subject's last sequence is still `expectedLastSeq` (0: no message yet).
   * A command id seen inside the duplicate window is not written again; the ack then carries the first seq.
   */
  async append(subject: string, commit: Commit, expectedLastSeq: number, commandId: string, correlationId: string): Promise<AppendResult> {
    const h = natsHeaders();
    h.set(Headers.CorrelationId, correlationId);
    try {
      const data = encodeCommit(commit);
      // Appends decided in one event-loop turn leave in one socket write (platform's NATS client tuning).
      const ack = await this.nats.js.publish(subject, data, { msgID: commandId, headers: h, expect: { lastSubjectSequence: expectedLastSeq } });
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (e) {
      if (e instanceof JetStreamApiError && e.code === WRONG_LAST_SEQUENCE) throw new WrongExpectedSequence(subject, expectedLastSeq);
      if (e instanceof Error && /timeout|TIMEOUT/.test(e.message)) throw new AppError(ErrorCode.UNAVAILABLE, 'event store did not acknowledge in time');
      throw e;
    }
  }

  /**
   * Reads the commits of one subject with `afterSeq < seq <= uptoSeq`, in order. Direct gets walk the
   * subject without creating a consumer, which is cheapest for the short histories aggregates have.
   */
  async read(subject: string, afterSeq = 0, uptoSeq = Number.MAX_SAFE_INTEGER): Promise<StoredCommit[]> {
    const out: StoredCommit[] = [];
    let next = afterSeq + 1;
    for (;;) {
      if (next > uptoSeq) break;
      const m = await this.nats.jsm.direct.getMessage(this.names.eventStream, { seq: next, next_by_subj: subject });
      if (!m || m.seq > uptoSeq) break;
      out.push({ seq: m.seq, ...decodeCommit(m.data) });
      next = m.seq + 1;
    }
    return out;
  }

  /** The last sequence of a subject, 0 when it has none. */
  async lastSeqOf(subject: string): Promise<number> {
    const m = await this.nats.jsm.direct.getMessage(this.names.eventStream, { last_by_subj: subject });
    return m?.seq ?? 0;
  }

  /** One commit by its stream sequence (to answer a duplicate command with its first result). */
  async commitAt(seq: number): Promise<StoredCommit | undefined> {
    const m = await this.nats.jsm.direct.getMessage(this.names.eventStream, { seq });
    return m ? { seq: m.seq, ...decodeCommit(m.data) } : undefined;
  }

  /** The stream's last sequence: where a fork without an explicit sequence is taken. */
  async headSeq(): Promise<number> {
    const info = await this.nats.jsm.streams.info(this.names.eventStream);
    return info.state.last_seq;
  }

  /** Distinct subjects matching a filter that hold at least one message. */
  async subjects(filter: string): Promise<string[]> {
    const info = await this.nats.jsm.streams.info(this.names.eventStream, { subjects_filter: filter });
    return Object.keys(info.state.subjects ?? {});
  }
}
