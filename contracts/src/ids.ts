import { z } from 'zod';

/**
 * Ids travel inside NATS subjects (`cm.evt.<campaignId>.<branchId>.<entityType>.<entityId>`), so they may
 * never contain `.`, `*`, `>` or white space. We allow the URL-safe alphabet only, which excludes all four.
 */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** A validated entity id. */
export const idSchema = z.string().regex(ID_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 _ -');

/** The branch every campaign starts with; campaign-wide aggregates (Campaign, Branch) live on it. */
export const MAIN_BRANCH = 'main';

/** Separator inside composite aggregate ids (state variables: `<ownerType>~<ownerId>`); never part of an id. */
export const ID_SEPARATOR = '~';

export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}
