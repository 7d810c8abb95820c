import { ENTITY_TYPES, ID_PATTERN, type NatsNames } from '@cm/contracts';
import type { StreamRange } from '@cm/platform';
import { UsageError } from './command.js';

/** Options `cm tail` and `cm replay` share: which aggregates, which events. */
export const FILTER_OPTIONS = {
  namespace: { type: 'string' },
  campaign: { type: 'string' },
  branch: { type: 'string' },
  'entity-type': { type: 'string' },
  entity: { type: 'string' },
  type: { type: 'string', multiple: true },
  user: { type: 'string' },
  json: { type: 'boolean' },
  'no-diff': { type: 'boolean' },
} as const;

export const FILTER_HELP = `
  --namespace <ns>      namespace prefix (default $CM_NAMESPACE or cm)
  --campaign <id>       events of one campaign
  --branch <id>         events of one branch (with or without --campaign)
  --entity-type <type>  one aggregate type: ${ENTITY_TYPES.join(', ')}
  --entity <id>         one entity id
  --type <EventType>    an event type, e.g. SettlementRenamed (repeat for several)
  --user <id>           events written by one user
  --json                one JSON object per line (the event, seq, time, changes)
  --no-diff             print event data instead of asking the command service what each event changed`;

export interface EventSelection {
  filter: string;
  types?: Set<string>;
  user?: string;
}

function id(value: unknown, option: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !ID_PATTERN.test(value))
    throw new UsageError(`--${option} must be 1-64 characters of A-Z a-z 0-9 _ -; got ${JSON.stringify(value)}`);
  return value;
}

/** The subject filter (one: server 2.9) and the client-side filters the options ask for. */
export function selection(values: Record<string, unknown>, names: NatsNames): EventSelection {
  const entityType = values['entity-type'] as string | undefined;
  if (entityType !== undefined && !(ENTITY_TYPES as readonly string[]).includes(entityType))
    throw new UsageError(`--entity-type must be one of ${ENTITY_TYPES.join(', ')}`);
  const tokens = [
    id(values.campaign, 'campaign'),
    id(values.branch, 'branch'),
    entityType,
    id(values.entity, 'entity'),
  ];
  const filter = tokens.every((t) => t === undefined)
    ? names.eventWildcard
    : `${names.prefix}.evt.${tokens.map((t) => t ?? '*').join('.')}`;
  const types = values.type as string[] | undefined;
  const user = id(values.user, 'user');
  return { filter, ...(types?.length ? { types: new Set(types) } : {}), ...(user ? { user } : {}) };
}

/** `--from`/`--to`: a stream sequence (digits) or an ISO-8601 time. */
export function position(value: unknown, option: string): { seq: number } | { time: string } | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (/^\d{1,16}$/.test(text)) return { seq: Number(text) };
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw new UsageError(`--${option} must be a stream sequence or an ISO-8601 time; got ${JSON.stringify(text)}`);
  return { time: new Date(ms).toISOString() };
}

/** The part of a range `--from` and `--to` give. */
export function rangeOf(
  from: ReturnType<typeof position>,
  to: ReturnType<typeof position>,
): Omit<StreamRange, 'filter'> {
  return {
    ...(from && 'seq' in from ? { fromSeq: from.seq } : {}),
    ...(from && 'time' in from ? { fromTime: from.time } : {}),
    ...(to && 'seq' in to ? { toSeq: to.seq } : {}),
    ...(to && 'time' in to ? { toTime: to.time } : {}),
  };
}
