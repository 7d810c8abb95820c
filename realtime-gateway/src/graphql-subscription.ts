import { AppError, ErrorCode, ID_PATTERN, MAIN_BRANCH, type NatsNames } from '@cm/contracts';
import { campaignRoom, entityRoom } from './core/rooms.js';
import type { SubscriptionRequest } from './gateway.js';

const ENTITY_ID = /^[A-Za-z0-9_~-]{1,130}$/;
const id = (value: unknown, field: string, pattern = ID_PATTERN): string => {
  if (typeof value !== 'string' || !pattern.test(value))
    throw new AppError(ErrorCode.VALIDATION, `${field}: 1-64 characters of A-Z a-z 0-9 _ -`, { field });
  return value;
};

/** The rooms request of one subscription root field and its (coerced) arguments. */
export function subscriptionRequestOf(
  field: string,
  args: Record<string, unknown>,
  names: NatsNames,
): Omit<SubscriptionRequest, 'userId' | 'expiresAtMs'> {
  const branchId = id(args.branchId ?? MAIN_BRANCH, 'branchId');
  const coalesce = args.coalesce !== false;
  const entity = (entityType: string, entityId: string) => ({
    room: entityRoom(entityType, entityId, branchId),
    campaignId: undefined,
    types: undefined,
    coalesce,
    resumeAfter: undefined,
    filter: `${names.prefix}.evt.*.${branchId}.${entityType}.${entityId}`,
  });
  switch (field) {
    case 'entityModified':
      return entity(id(args.entityType, 'entityType'), id(args.entityId, 'entityId', ENTITY_ID));
    case 'settlementUpdated':
      return entity('settlement', id(args.id, 'id'));
    case 'structureUpdated':
      return entity('structure', id(args.id, 'id'));
    case 'campaignEvents': {
      const campaignId = id(args.campaignId, 'campaignId');
      const after = args.after;
      if (after !== undefined && after !== null && (typeof after !== 'number' || after < 0))
        throw new AppError(ErrorCode.VALIDATION, 'after: a stream sequence', { field: 'after' });
      const types = Array.isArray(args.types) && args.types.length ? new Set(args.types as string[]) : undefined;
      return {
        room: campaignRoom(campaignId, branchId),
        campaignId,
        types,
        coalesce,
        resumeAfter: typeof after === 'number' ? after : undefined,
        filter: names.campaignFilter(campaignId, branchId),
      };
    }
    default:
      throw new AppError(ErrorCode.VALIDATION, `unknown subscription ${field}`);
  }
}
