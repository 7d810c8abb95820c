import { AppError, ErrorCode, ID_PATTERN } from '@cm/contracts';

/** Every argument, at any level of the schema, that names an entity. */
const ID_ARGUMENTS: ReadonlySet<string> = new Set([
  'id',
  'campaignId',
  'branchId',
  'parentBranchId',
  'kingdomId',
  'locationId',
  'settlementId',
  'ownerId',
  'userId',
  'entityId',
]);

/**
 * Ids become NATS subject tokens, so one with `.`, `*`, `>` or white space could address other subjects.
 * Checked at the edge, before anything is read or sent: a bad id is `VALIDATION`, never "not found".
 */
export function assertIdArguments(args: Readonly<Record<string, unknown>>): void {
  for (const [name, value] of Object.entries(args)) {
    if (!ID_ARGUMENTS.has(name) || value === null || value === undefined) continue;
    if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
      throw new AppError(ErrorCode.VALIDATION, `argument ${name} must be 1-64 characters of A-Z a-z 0-9 _ -`, {
        argument: name,
        value,
      });
    }
  }
}

/** A consistency token from an argument or header: a non-negative stream sequence. */
export function parseMinSeq(value: unknown, source: string): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const seq = typeof value === 'string' && /^\d{1,16}$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
    throw new AppError(ErrorCode.VALIDATION, `${source} must be a non-negative integer sequence`, { [source]: value });
  }
  return seq;
}

/** Correlation ids travel into logs and events: printable ASCII, bounded, else we make our own. */
export function acceptCorrelationId(header: string | null, make: () => string): string {
  return header && /^[\x21-\x7e]{1,200}$/.test(header) ? header : make();
}
