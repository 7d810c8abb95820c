import { MAIN_BRANCH, variableAggregateId, type CommandType, type OwnerType } from '@cm/contracts';

/** Mutation arguments as graphql-js hands them over: enums already in domain spelling (see `schema.ts`). */
export type MutationArgs = Readonly<Record<string, unknown>>;

/** The `*Result` field that carries the entity a mutation changed. */
export type ResultField = 'campaign' | 'branch' | 'kingdom' | 'location' | 'settlement' | 'structure' | 'variable' | 'fieldCondition' | 'worldEvent';

/** The parts of a command envelope a mutation determines; identity, time and ids of the request come later. */
export interface CommandTarget {
  type: CommandType;
  campaignId: string;
  branchId: string;
  aggregateId: string;
  payload: Record<string, unknown>;
}

export interface MutationSpec {
  result: ResultField;
  /** The command tombstones its entity: the result carries `null` instead of loading it. */
  deletes?: boolean;
  toCommand(args: MutationArgs, newId: () => string): CommandTarget;
}

/**
 * The named arguments that are set. GraphQL lets a client pass `null` for an optional argument; the payload
 * schemas are strict and know only "absent", which is what `null` means here.
 */
function pick(args: MutationArgs, fields: readonly string[]): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  for (const f of fields) if (args[f] !== undefined && args[f] !== null) payload[f] = args[f];
  return payload;
}

/** Required ID arguments; graphql-js has coerced them to strings, and `assertIdArguments` has checked them. */
const str = (args: MutationArgs, name: string): string => args[name] as string;
const optional = (args: MutationArgs, name: string): string | undefined => (typeof args[name] === 'string' ? (args[name] as string) : undefined);

/** Campaign commands: the campaign is its own aggregate and lives on `main`. */
function campaign(type: CommandType, idArg: 'id' | 'campaignId', fields: readonly string[]): MutationSpec {
  return {
    result: 'campaign',
    toCommand: (args, newId) => {
      const id = type === 'campaign.create' ? (optional(args, 'id') ?? newId()) : str(args, idArg);
      return { type, campaignId: id, branchId: MAIN_BRANCH, aggregateId: id, payload: pick(args, fields) };
    },
  };
}

/**
 * Branch commands. The Branch aggregate is campaign-wide: the command service files it under `main` whatever
 * branch the envelope names (`CAMPAIGN_WIDE` in its command processor), so we name `main`; the aggregate id
 * is the (new) branch's id.
 */
function branch(type: CommandType, fields: readonly string[], opts: { create?: boolean; deletes?: boolean } = {}): MutationSpec {
  return {
    result: 'branch',
    deletes: opts.deletes,
    toCommand: (args, newId) => ({
      type,
      campaignId: str(args, 'campaignId'),
      branchId: MAIN_BRANCH,
      aggregateId: opts.create ? (optional(args, 'id') ?? newId()) : str(args, 'id'),
      payload: pick(args, fields),
    }),
  };
}

/** Commands on an entity that lives in one campaign branch and has an id of its own. */
function inBranch(type: CommandType, result: ResultField, fields: readonly string[], opts: { create?: boolean; deletes?: boolean } = {}): MutationSpec {
  return {
    result,
    deletes: opts.deletes,
    toCommand: (args, newId) => ({
      type,
      campaignId: str(args, 'campaignId'),
      branchId: optional(args, 'branchId') ?? MAIN_BRANCH,
      aggregateId: opts.create ? (optional(args, 'id') ?? newId()) : str(args, 'id'),
      payload: pick(args, fields),
    }),
  };
}

/** State variables: one aggregate per owner, so the id is derived from the owner, not passed. */
function variable(type: 'state-variable.set' | 'state-variable.unset', fields: readonly string[]): MutationSpec {
  return {
    result: 'variable',
    deletes: type === 'state-variable.unset',
    toCommand: (args) => ({
      type,
      campaignId: str(args, 'campaignId'),
      branchId: optional(args, 'branchId') ?? MAIN_BRANCH,
      aggregateId: variableAggregateId(args['ownerType'] as OwnerType, str(args, 'ownerId')),
      payload: pick(args, fields),
    }),
  };
}

const create = { create: true } as const;
const deletes = { deletes: true } as const;

/** Every mutation of the SDL and the command it sends. */
export const mutationSpecs = {
  createCampaign: campaign('campaign.create', 'id', ['name', 'description']),
  renameCampaign: campaign('campaign.rename', 'id', ['name']),
  archiveCampaign: campaign('campaign.archive', 'id', []),
  addCampaignMember: campaign('campaign.add-member', 'campaignId', ['userId', 'role']),
  changeCampaignMemberRole: campaign('campaign.change-member-role', 'campaignId', ['userId', 'role']),
  removeCampaignMember: campaign('campaign.remove-member', 'campaignId', ['userId']),

  forkBranch: branch('branch.fork', ['parentBranchId', 'name', 'atSeq'], create),
  renameBranch: branch('branch.rename', ['name']),
  deleteBranch: branch('branch.delete', [], deletes),

  createKingdom: inBranch('kingdom.create', 'kingdom', ['name'], create),
  renameKingdom: inBranch('kingdom.rename', 'kingdom', ['name']),
  deleteKingdom: inBranch('kingdom.delete', 'kingdom', [], deletes),

  createLocation: inBranch('location.create', 'location', ['name', 'geometry'], create),
  renameLocation: inBranch('location.rename', 'location', ['name']),
  reshapeLocation: inBranch('location.reshape', 'location', ['geometry']),
  deleteLocation: inBranch('location.delete', 'location', [], deletes),

  createSettlement: inBranch('settlement.create', 'settlement', ['kingdomId', 'locationId', 'name', 'level'], create),
  renameSettlement: inBranch('settlement.rename', 'settlement', ['name']),
  setSettlementLevel: inBranch('settlement.set-level', 'settlement', ['level']),
  moveSettlement: inBranch('settlement.move', 'settlement', ['locationId']),
  deleteSettlement: inBranch('settlement.delete', 'settlement', [], deletes),

  createStructure: inBranch('structure.create', 'structure', ['settlementId', 'name', 'structureType', 'level', 'condition'], create),
  renameStructure: inBranch('structure.rename', 'structure', ['name']),
  setStructureType: inBranch('structure.set-type', 'structure', ['structureType']),
  setStructureLevel: inBranch('structure.set-level', 'structure', ['level']),
  setStructureCondition: inBranch('structure.set-condition', 'structure', ['condition']),
  deleteStructure: inBranch('structure.delete', 'structure', [], deletes),

  setStateVariable: variable('state-variable.set', ['ownerType', 'ownerId', 'key', 'value']),
  unsetStateVariable: variable('state-variable.unset', ['ownerType', 'ownerId', 'key']),

  defineFieldCondition: inBranch('field-condition.define', 'fieldCondition', ['entityType', 'entityId', 'field', 'expression', 'priority', 'active'], create),
  updateFieldCondition: inBranch('field-condition.update', 'fieldCondition', ['field', 'expression', 'priority', 'active']),
  deleteFieldCondition: inBranch('field-condition.delete', 'fieldCondition', [], deletes),

  scheduleWorldEvent: inBranch('world-event.schedule', 'worldEvent', ['name', 'description', 'scheduledAt', 'expiresAt', 'effects'], create),
  activateWorldEvent: inBranch('world-event.activate', 'worldEvent', []),
  expireWorldEvent: inBranch('world-event.expire', 'worldEvent', []),
  resolveWorldEvent: inBranch('world-event.resolve', 'worldEvent', ['outcome']),
} satisfies Record<string, MutationSpec>;

export type MutationName = keyof typeof mutationSpecs;
