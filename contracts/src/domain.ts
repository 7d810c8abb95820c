import { z } from 'zod';
import { polygonProblem } from './geometry.js';
import { ID_SEPARATOR, idSchema } from './ids.js';

/** Aggregate kinds; each is the `<entityType>` token of an event subject. */
export const ENTITY_TYPES = [
  'campaign',
  'branch',
  'kingdom',
  'location',
  'settlement',
  'structure',
  'state-variable',
  'field-condition',
  'world-event',
] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/** Entities that can own state variables and computed fields. */
export const OWNER_TYPES = ['campaign', 'kingdom', 'location', 'settlement', 'structure', 'world-event'] as const;
export type OwnerType = (typeof OWNER_TYPES)[number];
export const ownerTypeSchema = z.enum(OWNER_TYPES);

/**
 * The aggregate id of an owner's state variables, `<ownerType>~<ownerId>`: the edge builds it, the
 * state-variable decider rejects any other id.
 */
export function variableAggregateId(ownerType: OwnerType, ownerId: string): string {
  return `${ownerType}${ID_SEPARATOR}${ownerId}`;
}

/** Campaign roles, strongest first. */
export const ROLES = ['owner', 'gm', 'player', 'viewer'] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);

/** True when `role` is at least as strong as `required`. */
export function roleAtLeast(role: Role | undefined, required: Role): boolean {
  return role !== undefined && ROLES.indexOf(role) <= ROLES.indexOf(required);
}

const name = z.string().trim().min(1, 'must not be empty').max(200);
export const nameSchema = name;

const coordinate = (name: string, limit: number) =>
  z
    // zod rejects NaN and ±Infinity as "not a number"; say which one it was.
    .number({
      error: (issue) =>
        Number.isNaN(issue.input)
          ? `${name} is NaN`
          : typeof issue.input === 'number'
            ? `${name} must be a finite number`
            : `${name} must be a number`,
    })
    .refine((v) => v >= -limit && v <= limit, `${name} must be between -${limit} and ${limit}`);
const position = z.tuple([coordinate('longitude', 180), coordinate('latitude', 90)]);

/** GeoJSON Point, SRID 4326 (longitude, latitude). */
export const pointSchema = z.object({ type: z.literal('Point'), coordinates: position });

/**
 * GeoJSON Polygon, SRID 4326: closed linear rings of at least four positions, none crossing itself or another
 * (geometry.ts): what PostGIS calls a valid polygon, so spatial queries over it mean something.
 */
export const polygonSchema = z.object({
  type: z.literal('Polygon'),
  coordinates: z
    .array(
      z
        .array(position)
        .min(4, 'a linear ring needs at least 4 positions')
        .refine(
          (ring) => ring[0]![0] === ring.at(-1)![0] && ring[0]![1] === ring.at(-1)![1],
          'a linear ring must be closed (its last position equal to its first)',
        ),
    )
    .min(1)
    .superRefine((rings, ctx) => {
      const problem = polygonProblem(rings);
      if (problem) ctx.addIssue({ code: 'custom', message: `self-intersecting polygon: ${problem}` });
    }),
});

export const geometrySchema = z.discriminatedUnion('type', [pointSchema, polygonSchema]);
export type Geometry = z.infer<typeof geometrySchema>;

/** State variable keys; `~` and `.` are excluded because keys become part of row ids. */
export const variableKeySchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must match [A-Za-z_][A-Za-z0-9_]{0,63}');

/** A typed state variable value. */
export const variableValueSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('number'), value: z.number().finite() }),
  z.object({ type: z.literal('string'), value: z.string().max(10_000) }),
  z.object({ type: z.literal('boolean'), value: z.boolean() }),
  z.object({ type: z.literal('json'), value: z.json() }),
]);
export type VariableValue = z.infer<typeof variableValueSchema>;

export const ownerRefSchema = z.object({ ownerType: ownerTypeSchema, ownerId: idSchema });
export type OwnerRef = z.infer<typeof ownerRefSchema>;

/** Deeper JSON than this is refused before anything walks it recursively (z.json() would overflow the stack). */
export const MAX_JSON_LOGIC_DEPTH = 64;

/** True when `value` nests at most `max` levels; iterative, so any depth is measured safely. */
function depthAtMost(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) return false;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return true;
}

/** A JSONLogic expression; compiled and checked by the rules service (`analyzeExpression`). */
export const jsonLogicSchema = z
  .custom<unknown>(
    (v) => depthAtMost(v, MAX_JSON_LOGIC_DEPTH),
    `invalid expression: nested deeper than ${MAX_JSON_LOGIC_DEPTH}`,
  )
  .pipe(z.json().refine((v) => v !== null && typeof v === 'object', 'must be a JSONLogic object'));

export const levelSchema = z.number().int().min(0).max(100);
/** Structure condition in percent: 100 is pristine, 0 is a ruin. */
export const conditionSchema = z.number().int().min(0).max(100);
export const isoDateSchema = z.iso.datetime({ offset: true });

/** The effect a resolved world event has on a state variable. */
export const worldEventEffectSchema = ownerRefSchema.extend({ key: variableKeySchema, value: variableValueSchema });
export type WorldEventEffect = z.infer<typeof worldEventEffectSchema>;
