import { entityTypeOfEvent, type AnyEvent, type EntityType } from '@cm/contracts';
import { projectCampaignWide, type CampaignWideEvent } from './campaign.projection.js';
import { projectPlace, type PlaceEvent } from './places.projection.js';
import { projectState, type StateEvent } from './state.projection.js';
import type { WriteOp } from './write-ops.js';

/** An event and the stream sequence of the commit it came in: the `last_seq` its writes carry. */
export interface SequencedEvent {
  seq: number;
  event: AnyEvent;
}

const GROUP: Record<EntityType, 'campaign' | 'place' | 'state'> = {
  campaign: 'campaign',
  branch: 'campaign',
  kingdom: 'place',
  location: 'place',
  settlement: 'place',
  structure: 'place',
  'state-variable': 'state',
  'field-condition': 'state',
  'world-event': 'state',
};

/**
 * The Postgres projection as a pure function: the writes one event makes. Rows are only ever written under the
 * sequence guard, so applying the result twice, or after later events, changes nothing.
 */
export function projectEvent(event: AnyEvent, seq: number): WriteOp[] {
  // Routed by the aggregate the contracts assign to the type; each group switch is exhaustive over its events.
  switch (GROUP[entityTypeOfEvent[event.type]]) {
    case 'campaign':
      return projectCampaignWide(event as CampaignWideEvent, seq);
    case 'place':
      return projectPlace(event as PlaceEvent, seq);
    case 'state':
      return projectState(event as StateEvent, seq);
    default:
      throw new Error(`no projection for event type ${event.type}`);
  }
}

/** Whether an event belongs to one branch's entities (and is therefore inherited by forks of that branch). */
export function isBranchScoped(event: AnyEvent): boolean {
  return GROUP[entityTypeOfEvent[event.type]] !== 'campaign';
}
