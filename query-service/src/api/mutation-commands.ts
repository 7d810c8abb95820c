import {
  aggregateOf,
  homeBranchOf,
  MAIN_BRANCH,
  variableAggregateId,
  type CommandType,
  type OwnerType,
} from '@cm/contracts';

/** Mutation arguments as graphql-js hands them over: enums already in domain spelling (see `schema.ts`). */
export type MutationArgs = Readonly<Record<string, unknown>>;

/** The `*Result` field that carries the entity a mutation changed. */
export type ResultField =
  | 'campaign'
  | 'branch'
  | 'kingdom'
  | 'location'
  | 'settlement'
  | 'structure'
  | 'variable'
  | 'fieldCondition'
  | 'worldEvent';

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
const optional = (args: MutationArgs, name: string): string | undefined =>
  typeof args[name] === 'string' ? (args[name] as string) : undefined;

/**
 * The branch the command names: the one the mutation was given (`main` when none), except that the command
 * service files campaign-wide aggregates (the campaign, its branches) under `main` whatever branch is named.
 */
const branchOf = (type: CommandType, args: MutationArgs): string =>
  homeBranchOf(aggregateOf(type), optional(args, 'branchId') ?? MAIN_BRANCH);

/** Campaign commands: the campaign is its own aggregate, addressed by the campaign id. */
function campaign(
  type: CommandType,
  idArg: 'id' | 'campaignId',
  fields: readonly string[],
  opts: { create?: boolean } = {},
): MutationSpec {
  return {
    result: 'campaign',
    toCommand: (args, newId) => {
      const id = opts.create ? (optional(args, 'id') ?? newId()) : str(args, idArg);
      return { type, campaignId: id, branchId: branchOf(type, args), aggregateId: id, payload: pick(args, fields) };
    },
  };
}

/** Commands on an entity of a campaign that has an id of its own; a create takes the given id or a new one. */
function inBranch(
  type: CommandType,
  result: ResultField,
  fields: readonly string[],
  opts: { create?: boolean; deletes?: boolean } = {},
): MutationSpec {
  return {
    result,
    deletes: opts.deletes,
    toCommand: (args, newId) => ({
      type,
      campaignId: str(args, 'campaignId'),
      branchId: branchOf(type, args),
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
      branchId: branchOf(type, args),
      aggregateId: variableAggregateId(args['ownerType'] as OwnerType, str(args, 'ownerId')),
      payload: pick(args, fields),
    }),
  };
}

const create = { create: true } as const;
const deletes = { deletes: true } as const;

/** Every mutation of the SDL and the command it sends. */
export const mutationSpecs = {
  createCampaign: campaign('campaign.create', 'id', ['name', 'description'], create),
  renameCampaign: campaign('campaign.rename', 'id', ['name']),
  archiveCampaign: campaign('campaign.archive', 'id', []),
  addCampaignMember: campaign('campaign.add-member', 'campaignId', ['userId', 'role']),
  changeCampaignMemberRole: campaign('campaign.change-member-role', 'campaignId', ['userId', 'role']),
  removeCampaignMember: campaign('campaign.remove-member', 'campaignId', ['userId']),

  forkBranch: inBranch('branch.fork', 'branch', ['parentBranchId', 'name', 'atSeq'], create),
  renameBranch: inBranch('branch.rename', 'branch', ['name']),
  deleteBranch: inBranch('branch.delete', 'branch', [], deletes),

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

  createStructure: inBranch(
    'structure.create',
    'structure',
    ['settlementId', 'name', 'structureType', 'level', 'condition'],
    create,
  ),
  renameStructure: inBranch('structure.rename', 'structure', ['name']),
  setStructureType: inBranch('structure.set-type', 'structure', ['structureType']),
  setStructureLevel: inBranch('structure.set-level', 'structure', ['level']),
  setStructureCondition: inBranch('structure.set-condition', 'structure', ['condition']),
  deleteStructure: inBranch('structure.delete', 'structure', [], deletes),

  setStateVariable: variable('state-variable.set', ['ownerType', 'ownerId', 'key', 'value']),
  unsetStateVariable: variable('state-variable.unset', ['ownerType', 'ownerId', 'key']),

  defineFieldCondition: inBranch(
    'field-condition.define',
    'fieldCondition',
    ['entityType', 'entityId', 'field', 'expression', 'priority', 'active'],
    create,
  ),
  updateFieldCondition: inBranch('field-condition.update', 'fieldCondition', [
    'field',
    'expression',
    'priority',
    'active',
  ]),
  deleteFieldCondition: inBranch('field-condition.delete', 'fieldCondition', [], deletes),

  scheduleWorldEvent: inBranch(
    'world-event.schedule',
    'worldEvent',
    ['name', 'description', 'scheduledAt', 'expiresAt', 'effects'],
    create,
  ),
  activateWorldEvent: inBranch('world-event.activate', 'worldEvent', []),
  expireWorldEvent: inBranch('world-event.expire', 'worldEvent', []),
  resolveWorldEvent: inBranch('world-event.resolve', 'worldEvent', ['outcome']),
} satisfies Record<string, MutationSpec>;

export type MutationName = keyof typeof mutationSpecs;
