import { headers as natsHeaders } from '@nats-io/transport-node';
import { JetStreamApiError, type StoredMsg } from '@nats-io/jetstream';
import {
  AppError,
  decodeCommit,
  encodeCommit,
  ErrorCode,
  Headers,
  type Commit,
  type EntityType,
  type EventAddress,
  type NatsNames,
} from '@cm/contracts';
import type { Nats } from '@cm/platform';
import {
  WrongExpectedSequence,
  type AppendResult,
  type CommitPosition,
  type EventStore,
  type RecordedCommit,
} from './event-store.port.js';

// JetStream API error codes we act on.
const WRONG_LAST_SEQUENCE = 10071;
/** Earlier commit sequences a commit carries: an aggregate of up to this many commits plus one loads in two round trips. */
const PREVIOUS_SEQS_CARRIED = 8;

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

  async append(
    address: EventAddress,
    commit: Commit,
    after: CommitPosition,
    ids: { commandId: string; correlationId: string },
  ): Promise<AppendResult> {
    const subject = this.names.eventSubject(address);
    const expectedLastSeq = after.lastSeq;
    const h = natsHeaders();
    h.set(Headers.CorrelationId, ids.correlationId);
    h.set(Headers.PreviousSeqs, previousSeqsHeader(after));
    try {
      // Appends decided in one event-loop turn leave in one socket write (platform's NATS client tuning).
      const ack = await this.nats.js.publish(subject, encodeCommit(commit), {
        msgID: ids.commandId,
        headers: h,
        expect: { lastSubjectSequence: expectedLastSeq },
      });
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (e) {
      if (e instanceof JetStreamApiError && e.code === WRONG_LAST_SEQUENCE)
        throw new WrongExpectedSequence(subject, expectedLastSeq);
      if (e instanceof Error && /timeout|TIMEOUT/.test(e.message))
        throw new AppError(ErrorCode.UNAVAILABLE, 'event store did not acknowledge in time');
      throw e;
    }
  }

  /**
   * Starts from the subject's last message (`last_by_subj`, answered from the subject index), then fetches the
   * commits its header lists by sequence, all at once, and repeats from the oldest of them while the list was
   * cut short. A forward walk with `next_by_subj` would make the server scan the stream from the starting
   * sequence for the subject, so its cost grew with the stream; it remains only for commits written before the
   * header existed, bounded by the oldest commit already read.
   */
  async read(address: EventAddress, uptoSeq = Number.MAX_SAFE_INTEGER): Promise<RecordedCommit[]> {
    const subject = this.names.eventSubject(address);
    const last = await this.nats.jsm.direct.getMessage(this.names.eventStream, { last_by_subj: subject });
    if (!last) return [];
    const newestFirst: StoredMsg[] = [this.onSubject(last, subject)];
    let older: RecordedCommit[] = [];
    for (let oldest = last; ;) {
      const previous = previousSeqsOf(oldest);
      if (!previous) {
        older = await this.scan(subject, Math.min(oldest.seq - 1, uptoSeq));
        break;
      }
      const found = await Promise.all(
        previous.seqs.map((seq) => this.nats.jsm.direct.getMessage(this.names.eventStream, { seq })),
      );
      for (const [i, m] of found.entries()) {
        if (!m)
          throw new AppError(
            ErrorCode.INTERNAL,
            `commit ${previous.seqs[i]} of ${subject} is missing from the stream`,
            { seq: previous.seqs[i], subject },
          );
        newestFirst.push(this.onSubject(m, subject));
      }
      if (previous.complete) break;
      oldest = newestFirst.at(-1)!;
    }
    return [
      ...older,
      ...newestFirst
        .reverse()
        .filter((m) => m.seq <= uptoSeq)
        .map(toRecorded),
    ];
  }

  async commitAt(seq: number): Promise<RecordedCommit | undefined> {
    const m = await this.nats.jsm.direct.getMessage(this.names.eventStream, { seq });
    return m ? toRecorded(m) : undefined;
  }

  async headSeq(): Promise<number> {
    const info = await this.nats.jsm.streams.info(this.names.eventStream);
    return info.state.last_seq;
  }

  async aggregateIds(
    campaignId: string,
    branchId: string,
    entityType: EntityType,
  ): Promise<ReadonlyMap<string, number>> {
    const filter = this.names.entityTypeFilter(campaignId, branchId, entityType);
    const info = await this.nats.jsm.streams.info(this.names.eventStream, { subjects_filter: filter });
    return new Map(
      Object.entries(info.state.subjects ?? {}).map(([s, n]) => [this.names.parseEventSubject(s).entityId, n]),
    );
  }

  private onSubject(m: StoredMsg, subject: string): StoredMsg {
    if (m.subject !== subject)
      throw new AppError(ErrorCode.INTERNAL, `commit ${m.seq} is not on ${subject}`, { seq: m.seq, subject });
    return m;
  }

  /** Commits of `subject` with `seq <= bound`, oldest first, walking forwards from the stream's start. */
  private async scan(subject: string, bound: number): Promise<RecordedCommit[]> {
    const out: RecordedCommit[] = [];
    for (let next = 1; next <= bound;) {
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

/** `Cm-Prev-Seqs` of a commit appended after `after`: see `Headers.PreviousSeqs`. */
function previousSeqsHeader(after: CommitPosition): string {
  if (after.lastSeq === 0) return '0';
  const seqs = [after.lastSeq, ...after.earlierSeqs].slice(0, PREVIOUS_SEQS_CARRIED);
  const complete = after.complete && after.earlierSeqs.length + 1 <= PREVIOUS_SEQS_CARRIED;
  return (complete ? [...seqs, 0] : seqs).join(',');
}

/**
 * The earlier commits a commit lists (without the closing 0) and whether they reach its aggregate's first
 * commit; undefined for a commit written without the header, or with one that does not make sense.
 */
function previousSeqsOf(m: StoredMsg): { seqs: number[]; complete: boolean } | undefined {
  const value = m.header?.get(Headers.PreviousSeqs);
  if (!value) return undefined;
  const list = value.split(',').map(Number);
  const complete = list.at(-1) === 0;
  const seqs = complete ? list.slice(0, -1) : list;
  let above = m.seq;
  for (const seq of seqs) {
    if (!Number.isSafeInteger(seq) || seq <= 0 || seq >= above) return undefined;
    above = seq;
  }
  return complete || seqs.length > 0 ? { seqs, complete } : undefined;
}
