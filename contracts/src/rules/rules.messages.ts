import { z } from 'zod';
import type { ErrorPayload } from '../errors.js';
import { ownerTypeSchema } from '../domain.js';
import { idSchema } from '../ids.js';

/** Codes of a computed field that could not be computed; the rest of the batch is still answered. */
export const RuleErrorCode = {
  /** The evaluation hit the bound on operations or on an array's size and was cut off. */
  LIMIT: 'RULE_LIMIT',
  /** The field reads itself through other computed fields. */
  CYCLE: 'RULE_CYCLE',
  /** Anything else the expression did wrong at run time (a non-finite number, a bad argument). */
  EVALUATION: 'RULE_EVALUATION',
} as const;
export type RuleErrorCode = (typeof RuleErrorCode)[keyof typeof RuleErrorCode];

const entityRef = z.object({ entityType: ownerTypeSchema, entityId: idSchema });

/** The payload of `<prefix>.rules.evaluate`: a batch of entities of one campaign branch. */
export const rulesEvaluateRequestSchema = z
  .object({
    campaignId: idSchema,
    branchId: idSchema,
    /** The answer reflects at least this stream sequence, or fails with `STALE_READ`. */
    minSeq: z.number().int().min(0).optional(),
    entities: z.array(entityRef).max(10_000),
    /** Only these fields (all computed fields of each entity when absent). */
    fields: z.array(z.string().max(64)).max(100).optional(),
    /** Explain how this one field of each entity is computed (the winning condition, its inputs). */
    explain: z.string().max(64).optional(),
    correlationId: z.string().max(200).optional(),
  })
  .strict();
export type RulesEvaluateRequest = z.infer<typeof rulesEvaluateRequestSchema>;

/** One computed field of one entity. */
export interface ComputedFieldValue {
  field: string;
  /** JSON; null when the expression yields nothing or failed (then `error` says why). */
  value: unknown;
  error?: { code: RuleErrorCode; message: string };
}

/** How a field was computed, for game masters debugging a rule. */
export interface ComputedFieldExplanation {
  field: string;
  value: unknown;
  error?: { code: RuleErrorCode; message: string };
  /** The winning condition, null when no active condition defines the field for this entity. */
  condition: { id: string; entityType: string; entityId: string | null; priority: number; expression: unknown } | null;
  /** Every condition on this field for this entity, winner first. */
  candidates: { id: string; entityId: string | null; priority: number; active: boolean }[];
  /** The value of every path the winning expression reads (a collection: its size). */
  inputs: Record<string, unknown>;
}

export interface EntityComputedFields {
  entityType: string;
  entityId: string;
  /** False when the rules service holds no such entity (deleted, or not in this branch). */
  found: boolean;
  fields: ComputedFieldValue[];
  explanation?: ComputedFieldExplanation;
}

/** The reply: every entity of the request in order, and the stream sequence the whole answer reflects. */
export type RulesEvaluateReply =
  { ok: true; seq: number; entities: EntityComputedFields[] } | { ok: false; error: ErrorPayload };
