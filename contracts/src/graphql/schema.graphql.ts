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

  enum Role {
    OWNER
    GM
    PLAYER
    VIEWER
  }
  enum OwnerType {
    CAMPAIGN
    KINGDOM
    LOCATION
    SETTLEMENT
    STRUCTURE
    WORLD_EVENT
  }
  enum VariableType {
    NUMBER
    STRING
    BOOLEAN
    JSON
  }
  enum WorldEventStatus {
    SCHEDULED
    ACTIVE
    EXPIRED
    RESOLVED
  }

  type User {
    id: ID!
  }
  type Member {
    userId: ID!
    role: Role!
  }

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
    kingdoms(branchId: ID = "main", first: Int = 50, after: String, filter: KingdomFilter): KingdomConnection!
    locations(branchId: ID = "main", first: Int = 50, after: String, filter: LocationFilter): LocationConnection!
    worldEvents(branchId: ID = "main", first: Int = 50, after: String, filter: WorldEventFilter): WorldEventConnection!
    fieldConditions(branchId: ID = "main", first: Int = 50, after: String): FieldConditionConnection!
    variables(branchId: ID = "main", first: Int = 50, after: String): StateVariableConnection!
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
    settlements(first: Int = 50, after: String, filter: SettlementFilter): SettlementConnection!
    variables(first: Int = 50, after: String): StateVariableConnection!
    seq: Int!
  }

  type Location {
    id: ID!
    campaignId: ID!
    branchId: ID!
    name: String!
    geometry: GeoJSON!
    settlements(first: Int = 50, after: String, filter: SettlementFilter): SettlementConnection!
    variables(first: Int = 50, after: String): StateVariableConnection!
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
    structures(first: Int = 50, after: String, filter: StructureFilter): StructureConnection!
    variables(first: Int = 50, after: String): StateVariableConnection!
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
    variables(first: Int = 50, after: String): StateVariableConnection!
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

  """
  Lists are connections: \`first\` (1 to 1000, default 50) rows \`after\` a cursor (an edge's \`cursor\` or
  \`pageInfo.endCursor\`; opaque), in a stable order (by name, then id, unless a list says otherwise). A walk page by
  page sees every entity that exists for the whole walk and keeps its sort key exactly once; one inserted during the
  walk appears if it sorts after the page being read. \`totalCount\` counts the whole filtered list.
  """
  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }
  "Filters are ANDed; an absent one does not filter. \`nameContains\` ignores case; \`hasVariable\` keeps entities owning a state variable of that key."
  input KingdomFilter {
    nameContains: String
    hasVariable: String
  }
  input LocationFilter {
    nameContains: String
    hasVariable: String
  }
  input SettlementFilter {
    nameContains: String
    levelMin: Int
    levelMax: Int
    hasVariable: String
  }
  input StructureFilter {
    nameContains: String
    levelMin: Int
    levelMax: Int
    type: String
    hasVariable: String
  }
  input WorldEventFilter {
    nameContains: String
    status: WorldEventStatus
  }
  type KingdomEdge {
    cursor: String!
    node: Kingdom!
  }
  type KingdomConnection {
    edges: [KingdomEdge!]!
    nodes: [Kingdom!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }
  type LocationEdge {
    cursor: String!
    node: Location!
  }
  type LocationConnection {
    edges: [LocationEdge!]!
    nodes: [Location!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }
  type SettlementEdge {
    cursor: String!
    node: Settlement!
  }
  type SettlementConnection {
    edges: [SettlementEdge!]!
    nodes: [Settlement!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }
  type StructureEdge {
    cursor: String!
    node: Structure!
  }
  type StructureConnection {
    edges: [StructureEdge!]!
    nodes: [Structure!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }
  type StateVariableEdge {
    cursor: String!
    node: StateVariable!
  }
  type StateVariableConnection {
    edges: [StateVariableEdge!]!
    nodes: [StateVariable!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }
  type FieldConditionEdge {
    cursor: String!
    node: FieldCondition!
  }
  type FieldConditionConnection {
    edges: [FieldConditionEdge!]!
    nodes: [FieldCondition!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }
  type WorldEventEdge {
    cursor: String!
    node: WorldEvent!
  }
  type WorldEventConnection {
    edges: [WorldEventEdge!]!
    nodes: [WorldEvent!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type Query {
    me: User!
    "Campaigns the caller is a member of."
    campaigns(minSeq: Int): [Campaign!]!
    campaign(id: ID!, minSeq: Int): Campaign
    branches(campaignId: ID!, minSeq: Int): [Branch!]!
    kingdom(campaignId: ID!, branchId: ID = "main", id: ID!, minSeq: Int): Kingdom
    kingdoms(
      campaignId: ID!
      branchId: ID = "main"
      first: Int = 50
      after: String
      filter: KingdomFilter
      minSeq: Int
    ): KingdomConnection!
    location(campaignId: ID!, branchId: ID = "main", id: ID!, minSeq: Int): Location
    locations(
      campaignId: ID!
      branchId: ID = "main"
      first: Int = 50
      after: String
      filter: LocationFilter
      minSeq: Int
    ): LocationConnection!
    settlement(campaignId: ID!, branchId: ID = "main", id: ID!, minSeq: Int): Settlement
    "Settlements of a campaign branch, or of one kingdom."
    settlements(
      campaignId: ID!
      branchId: ID = "main"
      kingdomId: ID
      first: Int = 50
      after: String
      filter: SettlementFilter
      minSeq: Int
    ): SettlementConnection!
    structure(campaignId: ID!, branchId: ID = "main", id: ID!, minSeq: Int): Structure
    structures(
      campaignId: ID!
      branchId: ID = "main"
      settlementId: ID!
      first: Int = 50
      after: String
      filter: StructureFilter
      minSeq: Int
    ): StructureConnection!
    variables(
      campaignId: ID!
      branchId: ID = "main"
      ownerType: OwnerType!
      ownerId: ID!
      first: Int = 50
      after: String
      minSeq: Int
    ): StateVariableConnection!
    fieldCondition(campaignId: ID!, branchId: ID = "main", id: ID!, minSeq: Int): FieldCondition
    fieldConditions(
      campaignId: ID!
      branchId: ID = "main"
      entityType: OwnerType
      entityId: ID
      first: Int = 50
      after: String
      minSeq: Int
    ): FieldConditionConnection!
    worldEvent(campaignId: ID!, branchId: ID = "main", id: ID!, minSeq: Int): WorldEvent
    worldEvents(
      campaignId: ID!
      branchId: ID = "main"
      first: Int = 50
      after: String
      filter: WorldEventFilter
      minSeq: Int
    ): WorldEventConnection!

    "Settlements whose location lies within \`meters\` of the point (on the spheroid), nearest first."
    settlementsWithinRadius(
      campaignId: ID!
      branchId: ID = "main"
      longitude: Float!
      latitude: Float!
      meters: Float!
      first: Int = 100
      minSeq: Int
    ): [Settlement!]!
    "Settlements whose location touches the box, by name. \`minLongitude > maxLongitude\` is a box across the antimeridian."
    settlementsInBox(
      campaignId: ID!
      branchId: ID = "main"
      box: BoxInput!
      first: Int = 100
      minSeq: Int
    ): [Settlement!]!
    "Locations whose geometry touches the box, by name. \`minLongitude > maxLongitude\` is a box across the antimeridian."
    locationsInBox(campaignId: ID!, branchId: ID = "main", box: BoxInput!, first: Int = 100, minSeq: Int): [Location!]!
    "Settlements whose location lies inside the Polygon location \`regionId\` (its boundary included), by name."
    settlementsInRegion(
      campaignId: ID!
      branchId: ID = "main"
      regionId: ID!
      first: Int = 100
      minSeq: Int
    ): [Settlement!]!
    "The \`count\` settlements nearest the point (on the sphere), nearest first."
    nearestSettlements(
      campaignId: ID!
      branchId: ID = "main"
      longitude: Float!
      latitude: Float!
      count: Int = 10
      minSeq: Int
    ): [Settlement!]!
  }

  "A box in longitude/latitude (SRID 4326), edges included."
  input BoxInput {
    minLongitude: Float!
    minLatitude: Float!
    maxLongitude: Float!
    maxLatitude: Float!
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

  type CampaignResult implements MutationResult {
    seq: Int!
    commitId: String!
    aggregateVersion: Int!
    duplicate: Boolean!
    campaign: Campaign
  }
  type BranchResult implements MutationResult {
    seq: Int!
    commitId: String!
    aggregateVersion: Int!
    duplicate: Boolean!
    branch: Branch
  }
  type KingdomResult implements MutationResult {
    seq: Int!
    commitId: String!
    aggregateVersion: Int!
    duplicate: Boolean!
    kingdom: Kingdom
  }
  type LocationResult implements MutationResult {
    seq: Int!
    commitId: String!
    aggregateVersion: Int!
    duplicate: Boolean!
    location: Location
  }
  type SettlementResult implements MutationResult {
    seq: Int!
    commitId: String!
    aggregateVersion: Int!
    duplicate: Boolean!
    settlement: Settlement
  }
  type StructureResult implements MutationResult {
    seq: Int!
    commitId: String!
    aggregateVersion: Int!
    duplicate: Boolean!
    structure: Structure
  }
  type StateVariableResult implements MutationResult {
    seq: Int!
    commitId: String!
    aggregateVersion: Int!
    duplicate: Boolean!
    variable: StateVariable
  }
  type FieldConditionResult implements MutationResult {
    seq: Int!
    commitId: String!
    aggregateVersion: Int!
    duplicate: Boolean!
    fieldCondition: FieldCondition
  }
  type WorldEventResult implements MutationResult {
    seq: Int!
    commitId: String!
    aggregateVersion: Int!
    duplicate: Boolean!
    worldEvent: WorldEvent
  }

  input VariableValueInput {
    type: VariableType!
    value: JSON
  }
  input EffectInput {
    ownerType: OwnerType!
    ownerId: ID!
    key: String!
    value: VariableValueInput!
  }

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

    forkBranch(
      campaignId: ID!
      id: ID
      parentBranchId: ID = "main"
      name: String!
      atSeq: Int
      commandId: String
    ): BranchResult!
    renameBranch(campaignId: ID!, id: ID!, name: String!, commandId: String): BranchResult!
    deleteBranch(campaignId: ID!, id: ID!, commandId: String): BranchResult!

    createKingdom(campaignId: ID!, branchId: ID = "main", id: ID, name: String!, commandId: String): KingdomResult!
    renameKingdom(campaignId: ID!, branchId: ID = "main", id: ID!, name: String!, commandId: String): KingdomResult!
    deleteKingdom(campaignId: ID!, branchId: ID = "main", id: ID!, commandId: String): KingdomResult!

    createLocation(
      campaignId: ID!
      branchId: ID = "main"
      id: ID
      name: String!
      geometry: GeoJSON!
      commandId: String
    ): LocationResult!
    renameLocation(campaignId: ID!, branchId: ID = "main", id: ID!, name: String!, commandId: String): LocationResult!
    reshapeLocation(
      campaignId: ID!
      branchId: ID = "main"
      id: ID!
      geometry: GeoJSON!
      commandId: String
    ): LocationResult!
    deleteLocation(campaignId: ID!, branchId: ID = "main", id: ID!, commandId: String): LocationResult!

    createSettlement(
      campaignId: ID!
      branchId: ID = "main"
      id: ID
      kingdomId: ID!
      locationId: ID!
      name: String!
      level: Int
      commandId: String
    ): SettlementResult!
    renameSettlement(
      campaignId: ID!
      branchId: ID = "main"
      id: ID!
      name: String!
      commandId: String
    ): SettlementResult!
    setSettlementLevel(
      campaignId: ID!
      branchId: ID = "main"
      id: ID!
      level: Int!
      commandId: String
    ): SettlementResult!
    moveSettlement(
      campaignId: ID!
      branchId: ID = "main"
      id: ID!
      locationId: ID!
      commandId: String
    ): SettlementResult!
    "Deletes the settlement; its structures are deleted by a saga right after."
    deleteSettlement(campaignId: ID!, branchId: ID = "main", id: ID!, commandId: String): SettlementResult!

    createStructure(
      campaignId: ID!
      branchId: ID = "main"
      id: ID
      settlementId: ID!
      name: String!
      structureType: String!
      level: Int
      condition: Int
      commandId: String
    ): StructureResult!
    renameStructure(campaignId: ID!, branchId: ID = "main", id: ID!, name: String!, commandId: String): StructureResult!
    setStructureType(
      campaignId: ID!
      branchId: ID = "main"
      id: ID!
      structureType: String!
      commandId: String
    ): StructureResult!
    setStructureLevel(campaignId: ID!, branchId: ID = "main", id: ID!, level: Int!, commandId: String): StructureResult!
    setStructureCondition(
      campaignId: ID!
      branchId: ID = "main"
      id: ID!
      condition: Int!
      commandId: String
    ): StructureResult!
    deleteStructure(campaignId: ID!, branchId: ID = "main", id: ID!, commandId: String): StructureResult!

    setStateVariable(
      campaignId: ID!
      branchId: ID = "main"
      ownerType: OwnerType!
      ownerId: ID!
      key: String!
      value: VariableValueInput!
      commandId: String
    ): StateVariableResult!
    unsetStateVariable(
      campaignId: ID!
      branchId: ID = "main"
      ownerType: OwnerType!
      ownerId: ID!
      key: String!
      commandId: String
    ): StateVariableResult!

    defineFieldCondition(
      campaignId: ID!
      branchId: ID = "main"
      id: ID
      entityType: OwnerType!
      entityId: ID
      field: String!
      expression: JSON!
      priority: Int
      active: Boolean
      commandId: String
    ): FieldConditionResult!
    updateFieldCondition(
      campaignId: ID!
      branchId: ID = "main"
      id: ID!
      field: String
      expression: JSON
      priority: Int
      active: Boolean
      commandId: String
    ): FieldConditionResult!
    deleteFieldCondition(campaignId: ID!, branchId: ID = "main", id: ID!, commandId: String): FieldConditionResult!

    scheduleWorldEvent(
      campaignId: ID!
      branchId: ID = "main"
      id: ID
      name: String!
      description: String
      scheduledAt: String!
      expiresAt: String
      effects: [EffectInput!]
      commandId: String
    ): WorldEventResult!
    activateWorldEvent(campaignId: ID!, branchId: ID = "main", id: ID!, commandId: String): WorldEventResult!
    expireWorldEvent(campaignId: ID!, branchId: ID = "main", id: ID!, commandId: String): WorldEventResult!
    resolveWorldEvent(
      campaignId: ID!
      branchId: ID = "main"
      id: ID!
      outcome: String
      commandId: String
    ): WorldEventResult!
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
export const worldEventStatusEnum = {
  SCHEDULED: 'scheduled',
  ACTIVE: 'active',
  EXPIRED: 'expired',
  RESOLVED: 'resolved',
} as const;
