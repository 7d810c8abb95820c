import { headers as natsHeaders } from '@nats-io/transport-node';
import { JetStreamApiError, type StoredMsg } from '@nats-io/jetstream';
import { AppError, decodeCommit, encodeCommit, ErrorCode, Headers, type Commit, type EntityType, type EventAddress, type NatsNames } from '@cm/contracts';
import type { Nats } from '@cm/platform';
import { WrongExpectedSequence, type AppendResult, type EventStore, type RecordedCommit } from './event-store.port.js';

// JetStream API error codes we act on.
const WRONG_LAST_SEQUENCE = 10071;

/**
 * The JetStream adapter of the event store: one message per commit on the aggregate's subject, concurrency
 * through `expect.lastSubjectSequence`, idempotency through `Nats-Msg-Id`. Each commit carries the sequence it
 * expected (`Cm-Prev-Seq`), so an aggregate is read backwards from its last commit with one direct get per
 * commit, however large the stream.
 */
export class JetStreamEventStore implements EventStore {
  constructor(
    private readonly nats: Nats,
    private readonly names: NatsNames,
  ) {}

  keyOf(address: EventAddress): string {
    return this.names.eventSubject(address);
  }

  async append(address: EventAddress, commit: Commit, expectedLastSeq: number, ids: { commandId: string; correlationId: string }): Promise<AppendResult> {
    const subject = this.names.eventSubject(address);
    const h = natsHeaders();
    h.set(Headers.CorrelationId, ids.correlationId);
    h.set(Headers.PreviousSubjectSeq, String(expectedLastSeq));
    try {
      // Appends decided in one event-loop turn leave in one socket write (platform's NATS client tuning).
      const ack = await this.nats.js.publish(subject, encodeCommit(commit), { msgID: ids.commandId, headers: h, expect: { lastSubjectSequence: expectedLastSeq } });
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (e) {
      if (e instanceof JetStreamApiError && e.code === WRONG_LAST_SEQUENCE) throw new WrongExpectedSequence(subject, expectedLastSeq);
      if (e instanceof Error && /timeout|TIMEOUT/.test(e.message)) throw new AppError(ErrorCode.UNAVAILABLE, 'event store did not acknowledge in time');
      throw e;
    }
  }

  /**
   * Starts from the subject's last message (`last_by_subj`, answered from the subject index) and follows each
   * commit's previous sequence back with direct gets by sequence. A forward walk with `next_by_subj` would make
   * the server scan the stream from the starting sequence for the subject, so its cost grew with the stream;
   * it remains only for commits written before the header existed, bounded by the oldest commit already read.
   */
  async read(address: EventAddress, uptoSeq = Number.MAX_SAFE_INTEGER): Promise<RecordedCommit[]> {
    const subject = this.names.eventSubject(address);
    const newestFirst: RecordedCommit[] = [];
    let m = await this.nats.jsm.direct.getMessage(this.names.eventStream, { last_by_subj: subject });
    while (m) {
      if (m.subject !== subject) throw new AppError(ErrorCode.INTERNAL, `commit ${m.seq} is not on ${subject}`, { seq: m.seq, subject });
      if (m.seq <= uptoSeq) newestFirst.push(toRecorded(m));
      const previous = previousSeqOf(m);
      if (previous === undefined) return [...(await this.scan(subject, Math.min(m.seq - 1, uptoSeq))), ...newestFirst.reverse()];
      if (previous === 0) break;
      m = await this.nats.jsm.direct.getMessage(this.names.eventStream, { seq: previous });
      if (!m) throw new AppError(ErrorCode.INTERNAL, `commit ${previous} of ${subject} is missing from the stream`, { seq: previous, subject });
    }
    return newestFirst.reverse();
  }

  async commitAt(seq: number): Promise<RecordedCommit | undefined> {
    const m = await this.nats.jsm.direct.getMessage(this.names.eventStream, { seq });
    return m ? toRecorded(m) : undefined;
  }

  async headSeq(): Promise<number> {
    const info = await this.nats.jsm.streams.info(this.names.eventStream);
    return info.state.last_seq;
  }

  async aggregateIds(campaignId: string, branchId: string, entityType: EntityType): Promise<string[]> {
    const filter = this.names.entityTypeFilter(campaignId, branchId, entityType);
    const info = await this.nats.jsm.streams.info(this.names.eventStream, { subjects_filter: filter });
    return Object.keys(info.state.subjects ?? {}).map((s) => this.names.parseEventSubject(s).entityId);
  }

  /** Commits of `subject` with `seq <= bound`, oldest first, walking forwards from the stream's start. */
  private async scan(subject: string, bound: number): Promise<RecordedCommit[]> {
    const out: RecordedCommit[] = [];
    for (let next = 1; next <= bound; ) {
      const m = await this.nats.jsm.direct.getMessage(this.names.eventStream, { seq: next, next_by_subj: subject });
      if (!m || m.seq > bound) break;
      out.push(toRecorded(m));
      next = m.seq + 1;
    }
    return out;
  }
}

function toRecorded(m: StoredMsg): RecordedCommit {
  return { seq: m.seq, ...decodeCommit(m.data) };
}

/** The previous commit's sequence on the same subject, or undefined for a commit written without it. */
function previousSeqOf(m: StoredMsg): number | undefined {
  const value = m.header?.get(Headers.PreviousSubjectSeq);
  if (!value) return undefined;
  const seq = Number(value);
  return Number.isSafeInteger(seq) && seq >= 0 && seq < m.seq ? seq : undefined;
}
