import { AppError, ErrorCode, EVENT_TYPES, ID_PATTERN, MAIN_BRANCH, type NatsNames } from '@cm/contracts';
import { campaignRoom, entityRoom } from './core/rooms.js';
import type { SubscriptionRequest } from './gateway.js';

const ENTITY_ID = /^[A-Za-z0-9_~-]{1,130}$/;
const SEQ = /^\d{1,15}$/;
const KNOWN_TYPES = new Set<string>(EVENT_TYPES);

const invalid = (message: string, field: string) => new AppError(ErrorCode.VALIDATION, message, { field });

/**
 * `GET /events?campaign=…&branch=…&types=A,B&entity=<type>:<id>&coalesce=0` with `Last-Event-ID` (header) or
 * `lastEventId` (parameter): the plain-SSE subscription it asks for, or a `VALIDATION` error naming the field.
 */
export function parseEventsRequest(
  url: URL,
  lastEventIdHeader: string | undefined,
  names: NatsNames,
): Omit<SubscriptionRequest, 'userId' | 'expiresAtMs'> {
  const q = url.searchParams;
  const campaignId = q.get('campaign');
  if (!campaignId || !ID_PATTERN.test(campaignId))
    throw invalid('campaign: required, 1-64 characters of A-Z a-z 0-9 _ -', 'campaign');
  const branchId = q.get('branch') ?? MAIN_BRANCH;
  if (!ID_PATTERN.test(branchId)) throw invalid('branch: 1-64 characters of A-Z a-z 0-9 _ -', 'branch');
  let types: Set<string> | undefined;
  const typesParam = q.get('types');
  if (typesParam) {
    types = new Set(
      typesParam
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    );
    const unknown = [...types].filter((t) => !KNOWN_TYPES.has(t));
    if (unknown.length) throw invalid(`types: unknown event types ${unknown.join(', ')}`, 'types');
  }
  let room = campaignRoom(campaignId, branchId);
  let filter = names.campaignFilter(campaignId, branchId);
  const entity = q.get('entity');
  if (entity) {
    const [entityType, entityId, ...rest] = entity.split(':');
    if (!entityType || !entityId || rest.length || !ID_PATTERN.test(entityType) || !ENTITY_ID.test(entityId))
      throw invalid('entity: <entityType>:<id>', 'entity');
    room = entityRoom(entityType, entityId, branchId);
    filter = `${names.prefix}.evt.${campaignId}.${branchId}.${entityType}.${entityId}`;
  }
  const last = lastEventIdHeader ?? q.get('lastEventId') ?? undefined;
  if (last !== undefined && last !== '' && !SEQ.test(last))
    throw invalid('Last-Event-ID / lastEventId: a stream sequence', 'lastEventId');
  const coalesce = q.get('coalesce');
  if (coalesce !== null && !['0', '1', 'true', 'false'].includes(coalesce))
    throw invalid('coalesce: 0, 1, true or false', 'coalesce');
  return {
    room,
    campaignId,
    types,
    coalesce: coalesce === null || coalesce === '1' || coalesce === 'true',
    resumeAfter: last ? Number(last) : undefined,
    filter,
  };
}
