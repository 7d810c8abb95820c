import { LISTS, type ListName, type ListQuery, type PageQuery } from '../read-model/lists.js';
import type { TableName } from '../read-model/tables.js';
import { RedisKeys } from './redis-keys.js';

/*
 * The paginated lists (read-model/lists.ts) the Redis model can answer exactly as Postgres does
 * (read-model/postgres-lists.ts): same rows, order, sort keys (the cursor's content) and counts. A list is read
 * whole (one script per batch, every member's document) and filtered, sorted and cut here, so it is served only
 * while it holds at most a bound of members (SCARD in the same script); everything else is Postgres's.
 */

/** Where each servable list lives in Redis: its set (redis-keys.ts LISTS) and which parent value names it. */
const SERVED: Partial<Record<ListName, { list: string; parent?: number; ownerTypeOf?: number }>> = {
  kingdomsOfBranch: { list: 'all' },
  locationsOfBranch: { list: 'all' },
  settlementsOfBranch: { list: 'all' },
  settlementsOfKingdom: { list: 'k', parent: 0 },
  settlementsOfLocation: { list: 'l', parent: 0 },
  structuresOfSettlement: { list: 's', parent: 0 },
  // The set is per owner id; the owner type (parent 0) is compared on each row, as Postgres's `owner_type = ?`.
  variablesOfOwner: { list: 'o', parent: 1, ownerTypeOf: 0 },
};

/** Why a query goes to Postgres: a list, filter or cursor Redis does not reproduce, or more members than the bound. */
export type Unserved = 'not-served' | 'too-large';

/**
 * Postgres `lower()` here (libc, C.UTF-8, towlower) maps these non-ASCII characters to ASCII letters and no others
 * (redis-lists.int.spec.ts checks it against the database over every code point); every other non-ASCII character
 * stays non-ASCII, so it can never be part of a match of an ASCII pattern.
 */
const TO_ASCII_LOWER = new Map([
  ['\u0130', 'i'],
  ['\u212a', 'k'],
]);
const ASCII = /^[\x00-\x7f]*$/;

/** A name as `ILIKE` compares it with an ASCII pattern: ASCII letters lowered, the two characters above mapped. */
function foldName(name: string): string {
  let out = '';
  for (const ch of name) {
    const c = ch.charCodeAt(0);
    out += c < 0x80 ? (c >= 0x41 && c <= 0x5a ? String.fromCharCode(c + 32) : ch) : (TO_ASCII_LOWER.get(ch) ?? ch);
  }
  return out;
}

/** Postgres's text order here (C.UTF-8): the UTF-8 bytes. */
function compareKeys(a: readonly Buffer[], b: readonly Buffer[]): number {
  for (let i = 0; i < a.length; i += 1) {
    const c = Buffer.compare(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return 0;
}

/** One list read as the READ script's mode `p` takes it, and what to do with the rows it returns. */
export interface ListRead {
  /** The script's four arguments: list key, document prefix, variable key prefix and suffix. */
  args: [string, string, string, string];
  /** Whether a stored row (columns by name) passes the query's filters the script did not apply. */
  keep(row: Record<string, unknown>): boolean;
}

/** The sort key columns of a list (all `t.<column>` text expressions), or undefined when Redis cannot sort it. */
function textSortColumns(name: ListName): string[] | undefined {
  const cols = LISTS[name].order.map((o) => (o.type === 'text' && /^t\.\w+$/.test(o.expr) ? o.expr.slice(2) : ''));
  return cols.every((c) => c !== '') ? cols : undefined;
}

/** How the Redis model reads `q`, or why it does not. */
export function listRead(name: ListName, q: ListQuery & { after?: readonly string[] | null }): ListRead | Unserved {
  const served = SERVED[name];
  const decl = LISTS[name];
  if (!served || !textSortColumns(name)) return 'not-served';
  if (q.after && q.after.length !== decl.order.length) return 'not-served'; // Postgres answers VALIDATION
  const f = q.filter ?? {};
  const allowed: readonly string[] = decl.filters;
  for (const [k, v] of Object.entries(f))
    if (v !== undefined && v !== null && !allowed.includes(k)) return 'not-served';
  const some = (v: unknown) => v !== undefined && v !== null;
  // Case folding of non-ASCII patterns is the collation's: Postgres answers those.
  const contains = some(f.nameContains) ? String(f.nameContains) : undefined;
  if (contains !== undefined && !ASCII.test(contains)) return 'not-served';
  const levelMin = some(f.levelMin) ? Number(f.levelMin) : undefined;
  const levelMax = some(f.levelMax) ? Number(f.levelMax) : undefined;
  if (
    (levelMin !== undefined && !Number.isInteger(levelMin)) ||
    (levelMax !== undefined && !Number.isInteger(levelMax))
  )
    return 'not-served';
  const type = some(f.type) ? String(f.type) : undefined;
  const ownerType = served.ownerTypeOf === undefined ? undefined : q.parent?.[served.ownerTypeOf];
  const parent = served.parent === undefined ? undefined : q.parent?.[served.parent];
  if (served.parent !== undefined && parent === undefined) return 'not-served';
  const keys = new RedisKeys('');
  const scope = RedisKeys.scopeOf(q.campaignId, q.branchId);
  const table: TableName = decl.table;
  let vPrefix = '';
  let vSuffix = '';
  if (some(f.hasVariable)) {
    // The variable's document: `<owner type>:<owner id>:<key>`, the owner id being the list member.
    vPrefix = `${keys.docPrefix('state_variable', scope)}${encodeURIComponent(String(decl.ownerType))}:`;
    vSuffix = `:${encodeURIComponent(String(f.hasVariable))}`;
  }
  const pattern = contains?.toLowerCase();
  return {
    args: [keys.list(table, served.list, scope, parent), keys.docPrefix(table, scope), vPrefix, vSuffix],
    keep: (row) =>
      (ownerType === undefined || row.owner_type === ownerType) &&
      (pattern === undefined || foldName(String(row.name)).includes(pattern)) &&
      (levelMin === undefined || (typeof row.level === 'number' && row.level >= levelMin)) &&
      (levelMax === undefined || (typeof row.level === 'number' && row.level <= levelMax)) &&
      (type === undefined || row.structure_type === type),
  };
}

/** Rows of a list with their sort keys, in the list's order. */
export function sortRows<R extends Record<string, unknown>>(name: ListName, rows: R[]): { row: R; key: string[] }[] {
  const cols = textSortColumns(name)!;
  return rows
    .map((row) => {
      const key = cols.map((c) => String(row[c]));
      return { row, key, bytes: key.map((k) => Buffer.from(k)) };
    })
    .sort((a, b) => compareKeys(a.bytes, b.bytes))
    .map(({ row, key }) => ({ row, key }));
}

/** The page of sorted rows `q` asks for: after its cursor (a binary search for the first key above it), at most `first`. */
export function cutPage<T extends { key: string[] }>(sorted: T[], q: PageQuery): { edges: T[]; hasNextPage: boolean } {
  let start = 0;
  if (q.after) {
    const after = q.after.map((a) => Buffer.from(a));
    let end = sorted.length;
    while (start < end) {
      const mid = (start + end) >>> 1;
      if (
        compareKeys(
          sorted[mid]!.key.map((k) => Buffer.from(k)),
          after,
        ) <= 0
      )
        start = mid + 1;
      else end = mid;
    }
  }
  return { edges: sorted.slice(start, start + q.first), hasNextPage: sorted.length > start + q.first };
}
