import type { CommandOf, EntityType, EventOf } from '@cm/contracts';
import { branchDecider } from './branch/branch.decide.js';
import { campaignDecider } from './campaign/campaign.decide.js';
import type { Decider } from './decider.js';
import { fieldConditionDecider } from './field-condition/field-condition.decide.js';
import { kingdomDecider } from './kingdom/kingdom.decide.js';
import { locationDecider } from './location/location.decide.js';
import { settlementDecider } from './settlement/settlement.decide.js';
import { stateVariableDecider } from './state-variable/state-variable.decide.js';
import { structureDecider } from './structure/structure.decide.js';
import { worldEventDecider } from './world-event/world-event.decide.js';

export * from './decider.js';
export { authorize, requiredRole } from './authorize.js';
export { branchDecider, type BranchCommand } from './branch/branch.decide.js';
export type { BranchEvent, BranchState } from './branch/branch.state.js';
export { campaignDecider, type CampaignCommand } from './campaign/campaign.decide.js';
export { memberRole, type CampaignEvent, type CampaignState } from './campaign/campaign.state.js';
export { fieldConditionDecider, type FieldConditionCommand } from './field-condition/field-condition.decide.js';
export type { FieldConditionEvent, FieldConditionState, JsonLogic } from './field-condition/field-condition.state.js';
export { kingdomDecider, type KingdomCommand } from './kingdom/kingdom.decide.js';
export type { KingdomEvent, KingdomState } from './kingdom/kingdom.state.js';
export { locationDecider, type LocationCommand } from './location/location.decide.js';
export type { LocationEvent, LocationState } from './location/location.state.js';
export { settlementDecider, type SettlementCommand } from './settlement/settlement.decide.js';
export type { SettlementEvent, SettlementState } from './settlement/settlement.state.js';
export { stateVariableDecider, type StateVariableCommand } from './state-variable/state-variable.decide.js';
export {
  variableValue,
  type StateVariableEvent,
  type StateVariableState,
} from './state-variable/state-variable.state.js';
export { structureDecider, type StructureCommand } from './structure/structure.decide.js';
export type { StructureEvent, StructureState } from './structure/structure.state.js';
export { worldEventDecider, type WorldEventCommand } from './world-event/world-event.decide.js';
export type { WorldEventEvent, WorldEventState, WorldEventStatus } from './world-event/world-event.state.js';

/**
 * The decider of every aggregate type, for the shell to pick by `aggregateOf(command.type)`. Typed loosely so
 * that a dynamically chosen decider can be called; `satisfies` still checks each entry against its own types.
 */
export const deciders: Readonly<Record<EntityType, Decider<any, any, any>>> = {
  campaign: campaignDecider,
  branch: branchDecider,
  kingdom: kingdomDecider,
  location: locationDecider,
  settlement: settlementDecider,
  structure: structureDecider,
  'state-variable': stateVariableDecider,
  'field-condition': fieldConditionDecider,
  'world-event': worldEventDecider,
} satisfies { [A in EntityType]: Decider<CommandOf<A>, EventOf<A>, unknown> };
