import type { AnyEvent, FieldChange, HistoryPage, HistoryReply, HistoryRequest, NatsNames } from '@cm/contracts';
import type { Nats } from '@cm/platform';

const decoder = new TextDecoder();

/**
 * What an event changed, asked of the command service's history subject, which folds the aggregate with its
 * deciders (the CLI has no deciders of its own, and must not import a service). `undefined` when no command
 * service answers: the CLI then prints the event's data instead of a diff.
 */
export class EventDiffs {
  private available = true;

  constructor(
    private readonly nats: Nats,
    private readonly names: NatsNames,
    private readonly timeoutMs = 5_000,
  ) {}

  /** The changes of every event of the commit at `seq` of `event`'s aggregate, by event id. */
  async ofCommit(event: AnyEvent, seq: number): Promise<Map<string, FieldChange[]> | undefined> {
    if (!this.available) return undefined;
    const request: HistoryRequest = {
      op: 'history',
      address: {
        campaignId: event.campaignId,
        branchId: event.branchId,
        entityType: event.entityType,
        entityId: event.entityId,
      },
      after: seq - 1,
      first: 1,
    };
    try {
      const msg = await this.nats.nc.request(this.names.historySubject, JSON.stringify(request), {
        timeout: this.timeoutMs,
      });
      const reply = JSON.parse(decoder.decode(msg.data)) as HistoryReply<HistoryPage>;
      if (!reply.ok) return undefined;
      return new Map(reply.result.entries.filter((e) => e.seq === seq).map((e) => [e.event.id, e.changes]));
    } catch {
      // No command service (or none in time): stop asking, print data.
      this.available = false;
      return undefined;
    }
  }
}
