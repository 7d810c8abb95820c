/**
 * The public GraphQL schema. Every entity lives in a campaign branch: by-id lookups take
 * `(campaignId, branchId, id)`; `branchId` defaults to `main`. Every query field takes `minSeq`, the `seq` a
 * mutation returned: the answer then reflects at least that write, or fails with `STALE_READ`. The request
 * header `x-min-seq` does the same for a whole request.
 */
export const typeDefs = /* GraphQL */ `
"Any JSON value."
scalar JSON
"A GeoJSON Point or Polygon in SRID 4326 (longitude, latitude)."
scalar GeoJSON

enum Role { OWNER GM PLAYER VIEWER }
enum OwnerType { CAMPAIGN KINGDOM LOCATION SETTLEMENT STRUCTURE WORLD_EVENT }
enum VariableType { NUMBER STRING BOOLEAN JSON }
enum WorldEventStatus { SCHEDULED ACTIVE EXPIRED RESOLVED }

type User { id: ID! }
type Member { userId: ID! role: Role! }

type Campaign {
  id: ID!
  name: String!
  description: String
  ownerId: ID!
  archived: Boolean!
  members: [Member!]!
  "The caller's role in this campaign."
  myRole: Role
  branches: [Branch!]!
  kingdoms(branchId: ID = "main"): [Kingdom!]!
  locations(branchId: ID = "main"): [Location!]!
  worldEvents(branchId: ID = "main"): [WorldEvent!]!
  fieldConditions(branchId: ID = "main"): [FieldCondition!]!
  variables(branchId: ID = "main"): [StateVariable!]!
  "Stream sequence of the last event applied to this row."
  seq: Int!
}

type Branch {
  id: ID!
  campaignId: ID!
  name: String!
  parentBranchId: ID
  forkedAtSeq: Int
  seq: Int!
}

type Kingdom {
  id: ID!
  campaignId: ID!
  branchId: ID!
  name: String!
  settlements: [Settlement!]!
  variables: [StateVariable!]!
  seq: Int!
}

type Location {
  id: ID!
  campaignId: ID!
  branchId: ID!
  name: String!
  geometry: GeoJSON!
  settlements: [Settlement!]!
  variables: [StateVariable!]!
  seq: Int!
}

type Settlement {
  id: ID!
  campaignId: ID!
  branchId: ID!
  kingdomId: ID!
  locationId: ID!
  name: String!
  level: Int!
  kingdom: Kingdom
  location: Location
  structures: [Structure!]!
  variables: [StateVariable!]!
  seq: Int!
}

type Structure {
  id: ID!
  campaignId: ID!
  branchId: ID!
  settlementId: ID!
  name: String!
  structureType: String!
  level: Int!
  condition: Int!
  settlement: Settlement
  variables: [StateVariable!]!
  seq: Int!
}

type StateVariable {
  campaignId: ID!
  branchId: ID!
  ownerType: OwnerType!
  ownerId: ID!
  key: String!
  type: VariableType!
  value: JSON
  seq: Int!
}

type FieldCondition {
  id: ID!
  campaignId: ID!
  branchId: ID!
  entityType: OwnerType!
  entityId: ID
  field: String!
  expression: JSON!
  priority: Int!
  active: Boolean!
  seq: Int!
}

type WorldEvent {
  id: ID!
  campaignId: ID!
  branchId: ID!
  name: String!
  description: String
  status: WorldEventStatus!
  scheduledAt: String!
  expiresAt: String
  effects: JSON!
  outcome: String
  seq: Int!
}

type Query {
  me: User!
  "Campaigns the caller is a member of."
  campaigns(minSeq: Int): [Campaign!]!
  campaign(id: ID!, minSeq: Int): Campaign
  branches(campaignId: ID!, minSeq: Int): [Branch!]!
  kingdom(campaignId: ID!, branchId: ID = "main", id: ID!, minSeq: Int): Kingdom
  kingdoms(campaignId: ID!, branchId: ID = "main", minSeq: Int): [Kingdom!]!
  location(campaignId: ID!, branchId: ID = "main", id: ID!, minSeq: Int): Location
  locations(campaignId: ID!, branchId: ID = "main", minSeq: Int): [Location!]!
  settlement(campaignId: ID!, branchId: ID = "main", id: ID!, minSeq: Int): Settlement
  "Settlements of a campaign branch, or of one kingdom."
  settlements(campaignId: ID!, branchId: ID = "main", kingdomId: ID, minSeq: Int): [Settlement!]!
  structure(campaignId: ID!, branchId: ID = "main", id: ID!, minSeq: Int): Structure
  structures(campaignId: ID!, branchId: ID = "main", settlementId: ID!, minSeq: Int): [Structure!]!
  variables(campaignId: ID!, branchId: ID = "main", ownerType: OwnerType!, ownerId: ID!, minSeq: Int): [StateVariable!]!
  fieldCondition(campaignId: ID!, branchId: ID = "main", id: ID!, minSeq: Int): FieldCondition
  fieldConditions(campaignId: ID!, branchId: ID = "main", entityType: OwnerType, entityId: ID, minSeq: Int): [FieldCondition!]!
  worldEvent(campaignId: ID!, branchId: ID = "main", id: ID!, minSeq: Int): WorldEvent
  worldEvents(campaignId: ID!, branchId: ID = "main", minSeq: Int): [WorldEvent!]!
}

"""
What every mutation returns: the consistency token \`seq\` (pass it as \`minSeq\` to read your write) and
the entity as the read model holds it once that write is applied.
"""
interface MutationResult {
  seq: Int!
  commitId: String!
  aggregateVersion: Int!
  "True when this command id had been handled before and the first result is returned."
  duplicate: Boolean!
}

type CampaignResult implements MutationResult { seq: Int! commitId: String! aggregateVersion: Int! duplicate: Boolean! campaign: Campaign }
type BranchResult implements MutationResult { seq: Int! commitId: String! aggregateVersion: Int! duplicate: Boolean! branch: Branch }
type KingdomResult implements MutationResult { seq: Int! commitId: String! aggregateVersion: Int! duplicate: Boolean! kingdom: Kingdom }
type LocationResult implements MutationResult { seq: Int! commitId: String! aggregateVersion: Int! duplicate: Boolean! location: Location }
type SettlementResult implements MutationResult { seq: Int! commitId: String! aggregateVersion: Int! duplicate: Boolean! settlement: Settlement }
type StructureResult implements MutationResult { seq: Int! commitId: String! aggregateVersion: Int! duplicate: Boolean! structure: Structure }
type StateVariableResult implements MutationResult { seq: Int! commitId: String! aggregateVersion: Int! duplicate: Boolean! variable: StateVariable }
type FieldConditionResult implements MutationResult { seq: Int! commitId: String! aggregateVersion: Int! duplicate: Boolean! fieldCondition: FieldCondition }
type WorldEventResult implements MutationResult { seq: Int! commitId: String! aggregateVersion: Int! duplicate: Boolean! worldEvent: WorldEvent }

input VariableValueInput { type: VariableType!, value: JSON }
input EffectInput { ownerType: OwnerType!, ownerId: ID!, key: String!, value: VariableValueInput! }

"""
Every mutation takes an optional \`commandId\`: send the same one again (after a timeout, say) and you get the
first result back instead of a second change. Create mutations take an optional \`id\`; one is made if absent.
"""
type Mutation {
  createCampaign(id: ID, name: String!, description: String, commandId: String): CampaignResult!
  renameCampaign(id: ID!, name: String!, commandId: String): CampaignResult!
  archiveCampaign(id: ID!, commandId: String): CampaignResult!
  addCampaignMember(campaignId: ID!, userId: ID!, role: Role!, commandId: String): CampaignResult!
  changeCampaignMemberRole(campaignId: ID!, userId: ID!, role: Role!, commandId: String): CampaignResult!
  removeCampaignMember(campaignId: ID!, userId: ID!, commandId: String): CampaignResult!

  forkBranch(campaignId: ID!, id: ID, parentBranchId: ID = "main", name: String!, atSeq: Int, commandId: String): BranchResult!
  renameBranch(campaignId: ID!, id: ID!, name: String!, commandId: String): BranchResult!
  deleteBranch(campaignId: ID!, id: ID!, commandId: String): BranchResult!

  createKingdom(campaignId: ID!, branchId: ID = "main", id: ID, name: String!, commandId: String): KingdomResult!
  renameKingdom(campaignId: ID!, branchId: ID = "main", id: ID!, name: String!, commandId: String): KingdomResult!
  deleteKingdom(campaignId: ID!, branchId: ID = "main", id: ID!, commandId: String): KingdomResult!

  createLocation(campaignId: ID!, branchId: ID = "main", id: ID, name: String!, geometry: GeoJSON!, commandId: String): LocationResult!
  renameLocation(campaignId: ID!, branchId: ID = "main", id: ID!, name: String!, commandId: String): LocationResult!
  reshapeLocation(campaignId: ID!, branchId: ID = "main", id: ID!, geometry: GeoJSON!, commandId: String): LocationResult!
  deleteLocation(campaignId: ID!, branchId: ID = "main", id: ID!, commandId: String): LocationResult!

  createSettlement(campaignId: ID!, branchId: ID = "main", id: ID, kingdomId: ID!, locationId: ID!, name: String!, level: Int, commandId: String): SettlementResult!
  renameSettlement(campaignId: ID!, branchId: ID = "main", id: ID!, name: String!, commandId: String): SettlementResult!
  setSettlementLevel(campaignId: ID!, branchId: ID = "main", id: ID!, level: Int!, commandId: String): SettlementResult!
  moveSettlement(campaignId: ID!, branchId: ID = "main", id: ID!, locationId: ID!, commandId: String): SettlementResult!
  "Deletes the settlement; its structures are deleted by a saga right after."
  deleteSettlement(campaignId: ID!, branchId: ID = "main", id: ID!, commandId: String): SettlementResult!

  createStructure(campaignId: ID!, branchId: ID = "main", id: ID, settlementId: ID!, name: String!, structureType: String!, level: Int, condition: Int, commandId: String): StructureResult!
  renameStructure(campaignId: ID!, branchId: ID = "main", id: ID!, name: String!, commandId: String): StructureResult!
  setStructureType(campaignId: ID!, branchId: ID = "main", id: ID!, structureType: String!, commandId: String): StructureResult!
  setStructureLevel(campaignId: ID!, branchId: ID = "main", id: ID!, level: Int!, commandId: String): StructureResult!
  setStructureCondition(campaignId: ID!, branchId: ID = "main", id: ID!, condition: Int!, commandId: String): StructureResult!
  deleteStructure(campaignId: ID!, branchId: ID = "main", id: ID!, commandId: String): StructureResult!

  setStateVariable(campaignId: ID!, branchId: ID = "main", ownerType: OwnerType!, ownerId: ID!, key: String!, value: VariableValueInput!, commandId: String): StateVariableResult!
  unsetStateVariable(campaignId: ID!, branchId: ID = "main", ownerType: OwnerType!, ownerId: ID!, key: String!, commandId: String): StateVariableResult!

  defineFieldCondition(campaignId: ID!, branchId: ID = "main", id: ID, entityType: OwnerType!, entityId: ID, field: String!, expression: JSON!, priority: Int, active: Boolean, commandId: String): FieldConditionResult!
  updateFieldCondition(campaignId: ID!, branchId: ID = "main", id: ID!, field: String, expression: JSON, priority: Int, active: Boolean, commandId: String): FieldConditionResult!
  deleteFieldCondition(campaignId: ID!, branchId: ID = "main", id: ID!, commandId: String): FieldConditionResult!

  scheduleWorldEvent(campaignId: ID!, branchId: ID = "main", id: ID, name: String!, description: String, scheduledAt: String!, expiresAt: String, effects: [EffectInput!], commandId: String): WorldEventResult!
  activateWorldEvent(campaignId: ID!, branchId: ID = "main", id: ID!, commandId: String): WorldEventResult!
  expireWorldEvent(campaignId: ID!, branchId: ID = "main", id: ID!, commandId: String): WorldEventResult!
  resolveWorldEvent(campaignId: ID!, branchId: ID = "main", id: ID!, outcome: String, commandId: String): WorldEventResult!
}
`;

/** GraphQL enum value ↔ domain value, for the enums whose domain spelling differs. */
export const ownerTypeEnum = {
  CAMPAIGN: 'campaign',
  KINGDOM: 'kingdom',
  LOCATION: 'location',
  SETTLEMENT: 'settlement',
  STRUCTURE: 'structure',
  WORLD_EVENT: 'world-event',
} as const;
export const roleEnum = { OWNER: 'owner', GM: 'gm', PLAYER: 'player', VIEWER: 'viewer' } as const;
export const variableTypeEnum = { NUMBER: 'number', STRING: 'string', BOOLEAN: 'boolean', JSON: 'json' } as const;
export const worldEventStatusEnum = { SCHEDULED: 'scheduled', ACTIVE: 'active', EXPIRED: 'expired', RESOLVED: 'resolved' } as const;
