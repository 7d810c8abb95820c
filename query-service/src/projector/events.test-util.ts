import { randomUUID } from 'node:crypto';
import {
  encodeCommit,
  entityTypeOfEvent,
  type AnyEvent,
  type EventData,
  type EventType,
  type NatsNames,
} from '@cm/contracts';
import type { Nats } from '@cm/platform';

export interface At {
  campaignId?: string;
  branchId?: string;
  entityId?: string;
}

/** A stored event as the command service writes it, for projections under test. */
export function event<T extends EventType>(type: T, data: EventData<T>, at: At = {}): AnyEvent {
  const commandId = randomUUID();
  return {
    id: `${commandId}:0`,
    type,
    schemaVersion: 1,
    campaignId: at.campaignId ?? 'c1',
    branchId: at.branchId ?? 'main',
    entityType: entityTypeOfEvent[type],
    entityId: at.entityId ?? at.campaignId ?? 'c1',
    aggregateVersion: 1,
    data,
    metadata: {
      commandId,
      correlationId: commandId,
      causationId: commandId,
      userId: 'gm-1',
      occurredAt: '2026-01-01T00:00:00.000Z',
    },
  } as AnyEvent;
}

/** Appends one commit holding `events` (all of one aggregate) to the event stream, as the command service does. */
export async function publishCommit(nats: Nats, names: NatsNames, events: AnyEvent[]): Promise<number> {
  const first = events[0]!;
  const subject = names.eventSubject({
    campaignId: first.campaignId,
    branchId: first.branchId,
    entityType: first.entityType,
    entityId: first.entityId,
  });
  const ack = await nats.js.publish(subject, encodeCommit({ commitId: randomUUID(), events }));
  return ack.seq;
}
