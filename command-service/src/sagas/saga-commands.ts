import { ID_SEPARATOR, type Command, type DomainEvent } from '@cm/contracts';

/**
 * Pure mappings from an event to the commands a saga issues. Command ids derive from the event id, so a
 * redelivered event issues the same ids and changes nothing twice.
 */
function base(event: DomainEvent, saga: string, suffix: string) {
  return {
    commandId: `${saga}:${event.id}:${suffix}`,
    campaignId: event.campaignId,
    branchId: event.branchId,
    actor: { userId: `system:${saga}` },
    correlationId: event.metadata.correlationId,
    causationId: event.id,
    issuedAt: event.metadata.occurredAt,
  };
}

/** Deleting a settlement deletes every structure in it. */
export function settlementCascade(event: DomainEvent<'SettlementDeleted'>, structureIds: readonly string[]): Command[] {
  return structureIds.map((id) => ({
    ...base(event, 'settlement-cascade', id),
    type: 'structure.delete',
    aggregateId: id,
    payload: {},
  }));
}

/** A resolved world event sets the state variables its effects name. */
export function worldEventEffects(event: DomainEvent<'WorldEventResolved'>): Command[] {
  return event.data.effects.map((effect, i) => ({
    ...base(event, 'world-event-effects', String(i)),
    type: 'state-variable.set',
    aggregateId: `${effect.ownerType}${ID_SEPARATOR}${effect.ownerId}`,
    payload: { ownerType: effect.ownerType, ownerId: effect.ownerId, key: effect.key, value: effect.value },
  }));
}
