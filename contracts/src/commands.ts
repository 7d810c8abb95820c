import { z } from 'zod';
import {
  conditionSchema,
  geometrySchema,
  isoDateSchema,
  jsonLogicSchema,
  levelSchema,
  nameSchema,
  ownerTypeSchema,
  roleSchema,
  variableKeySchema,
  variableValueSchema,
  worldEventEffectSchema,
  type EntityType,
} from './domain.js';
import { idSchema } from './ids.js';

const empty = z.object({}).strict();
const description = z.string().max(5000).optional();
const fieldName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must match [A-Za-z_][A-Za-z0-9_]{0,63}');

/**
 * Every command payload schema, keyed by `<aggregate>.<verb>`; the key is also the NATS subject suffix
 * (`cm.cmd.<aggregate>.<verb>`). Payloads are strict: an unknown field is a validation error, not ignored.
 */
export const commandPayloadSchemas = {
  'campaign.create': z.object({ name: nameSchema, description }).strict(),
  'campaign.rename': z.object({ name: nameSchema }).strict(),
  'campaign.archive': empty,
  'campaign.add-member': z.object({ userId: idSchema, role: roleSchema }).strict(),
  'campaign.change-member-role': z.object({ userId: idSchema, role: roleSchema }).strict(),
  'campaign.remove-member': z.object({ userId: idSchema }).strict(),

  'branch.fork': z
    .object({ parentBranchId: idSchema, name: nameSchema, atSeq: z.number().int().min(0).optional() })
    .strict(),
  'branch.rename': z.object({ name: nameSchema }).strict(),
  'branch.delete': empty,

  'kingdom.create': z.object({ name: nameSchema }).strict(),
  'kingdom.rename': z.object({ name: nameSchema }).strict(),
  'kingdom.delete': empty,

  'location.create': z.object({ name: nameSchema, geometry: geometrySchema }).strict(),
  'location.rename': z.object({ name: nameSchema }).strict(),
  'location.reshape': z.object({ geometry: geometrySchema }).strict(),
  'location.delete': empty,

  'settlement.create': z
    .object({ kingdomId: idSchema, locationId: idSchema, name: nameSchema, level: levelSchema.default(1) })
    .strict(),
  'settlement.rename': z.object({ name: nameSchema }).strict(),
  'settlement.set-level': z.object({ level: levelSchema }).strict(),
  'settlement.move': z.object({ locationId: idSchema }).strict(),
  'settlement.delete': empty,

  'structure.create': z
    .object({
      settlementId: idSchema,
      name: nameSchema,
      structureType: nameSchema,
      level: levelSchema.default(1),
      condition: conditionSchema.default(100),
    })
    .strict(),
  'structure.rename': z.object({ name: nameSchema }).strict(),
  'structure.set-type': z.object({ structureType: nameSchema }).strict(),
  'structure.set-level': z.object({ level: levelSchema }).strict(),
  'structure.set-condition': z.object({ condition: conditionSchema }).strict(),
  'structure.delete': empty,

  'state-variable.set': z
    .object({ ownerType: ownerTypeSchema, ownerId: idSchema, key: variableKeySchema, value: variableValueSchema })
    .strict(),
  'state-variable.unset': z.object({ ownerType: ownerTypeSchema, ownerId: idSchema, key: variableKeySchema }).strict(),

  'field-condition.define': z
    .object({
      entityType: ownerTypeSchema,
      entityId: idSchema.optional(),
      field: fieldName,
      expression: jsonLogicSchema,
      priority: z.number().int().min(-1000).max(1000).default(0),
      active: z.boolean().default(true),
    })
    .strict(),
  'field-condition.update': z
    .object({
      field: fieldName.optional(),
      expression: jsonLogicSchema.optional(),
      priority: z.number().int().min(-1000).max(1000).optional(),
      active: z.boolean().optional(),
    })
    .strict(),
  'field-condition.delete': empty,

  'world-event.schedule': z
    .object({
      name: nameSchema,
      description,
      scheduledAt: isoDateSchema,
      expiresAt: isoDateSchema.optional(),
      effects: z.array(worldEventEffectSchema).max(100).default([]),
    })
    .strict(),
  'world-event.activate': empty,
  'world-event.expire': empty,
  'world-event.resolve': z.object({ outcome: z.string().max(5000).optional() }).strict(),
} as const;

export type CommandType = keyof typeof commandPayloadSchemas;
export const COMMAND_TYPES = Object.keys(commandPayloadSchemas) as CommandType[];
export type CommandPayload<T extends CommandType> = z.output<(typeof commandPayloadSchemas)[T]>;
/** The payload as a sender writes it (defaults not yet applied). */
export type CommandInput<T extends CommandType> = z.input<(typeof commandPayloadSchemas)[T]>;

/** The aggregate a command addresses: the part of its type before the dot. */
export function aggregateOf(type: CommandType): EntityType {
  return type.slice(0, type.indexOf('.')) as EntityType;
}

export function isCommandType(value: string): value is CommandType {
  return Object.hasOwn(commandPayloadSchemas, value);
}

/** Command ids double as `Nats-Msg-Id`: printable, no white space. Sagas derive them deterministically. */
export const commandIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_:.~-]{1,200}$/, 'must be 1-200 characters of A-Z a-z 0-9 _ : . ~ -');

/** Who sent a command, as authenticated at the edge. */
export interface Actor {
  /** The authenticated user id (JWT `sub`), or `system:<component>` for sagas and jobs. */
  userId: string;
}

/**
 * A command as it travels on `cm.cmd.<aggregate>.<verb>`. Time and ids arrive on the command so that
 * deciders stay pure.
 */
export interface CommandEnvelope<T extends CommandType = CommandType> {
  /** Idempotency key; a retried command with the same id returns the first result. */
  commandId: string;
  type: T;
  campaignId: string;
  branchId: string;
  /** The target aggregate's id; for a create, the id of the new aggregate. */
  aggregateId: string;
  payload: CommandPayload<T>;
  actor: Actor;
  correlationId: string;
  causationId?: string;
  /** ISO-8601 time the edge accepted the command. */
  issuedAt: string;
}

/** Discriminated union of every command, for exhaustive switches in deciders. */
export type Command = { [K in CommandType]: CommandEnvelope<K> }[CommandType];
export type CommandOf<A extends EntityType> = Extract<Command, { type: `${A}.${string}` }>;

export const commandEnvelopeSchema = z
  .object({
    commandId: commandIdSchema,
    type: z.string().refine(isCommandType, 'unknown command type'),
    campaignId: idSchema,
    branchId: idSchema,
    aggregateId: z.string().regex(/^[A-Za-z0-9_~-]{1,140}$/, 'invalid aggregate id'),
    payload: z.unknown(),
    actor: z.object({ userId: z.string().min(1).max(200) }),
    correlationId: z.string().min(1).max(200),
    causationId: z.string().max(200).optional(),
    issuedAt: isoDateSchema,
  })
  .strict();

/** The reply of the command service. `seq` is the stream sequence of the commit: the consistency token. */
export type CommandReply =
  | { ok: true; seq: number; commitId: string; aggregateVersion: number; aggregateId: string; duplicate?: boolean }
  | { ok: false; error: import('./errors.js').ErrorPayload };
