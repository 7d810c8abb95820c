import { AppError, ErrorCode } from '@cm/contracts';
import type { ListFilter, ListName, ListRow, Page, PageQuery } from '../read-model/lists.js';
import type { Scope } from '../read-model/read-model.port.js';
import type { GraphQLContext } from './graphql-context.js';

/** Page sizes a client may ask for: the default is the SDL's (50). */
export const MAX_PAGE_SIZE = 1000;

/** The arguments every connection field takes. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/**
 * A cursor is the list's name and the row's sort key, base64url-encoded JSON: opaque to clients, checked on the
 * way back so that a cursor of another list, or a made-up one, is `VALIDATION` rather than a wrong page.
 */
export function encodeCursor(list: ListName, key: readonly string[]): string {
  return Buffer.from(JSON.stringify([list, ...key])).toString('base64url');
}

export function decodeCursor(list: ListName, cursor: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (
    !Array.isArray(parsed) ||
    parsed[0] !== list ||
    parsed.length < 2 ||
    !parsed.every((p) => typeof p === 'string')
  ) {
    throw new AppError(ErrorCode.VALIDATION, 'after: not a cursor of this list', { argument: 'after' });
  }
  return parsed.slice(1) as string[];
}

export function pageSize(first: number | null | undefined): number {
  const n = first ?? 50;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw new AppError(ErrorCode.VALIDATION, `first must be between 1 and ${MAX_PAGE_SIZE}`, {
      argument: 'first',
      value: first,
    });
  }
  return n;
}

/** A connection as the GraphQL types read it; `totalCount` is counted only when selected. */
export interface Connection<R> {
  edges: { cursor: string; node: R }[];
  nodes: R[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  count: () => Promise<number>;
}

/** An edge whose cursor is encoded only if a client selects it (most ask for `nodes` alone). */
class LazyEdge<R> {
  constructor(
    private readonly list: ListName,
    private readonly key: readonly string[],
    readonly node: R,
  ) {}

  get cursor(): string {
    return encodeCursor(this.list, this.key);
  }
}

function toConnection<L extends ListName>(
  list: L,
  page: Page<ListRow<L>>,
  count: () => Promise<number>,
): Connection<ListRow<L>> {
  const edges = page.edges.map((e) => new LazyEdge(list, e.key, e.row));
  const last = edges.at(-1);
  return {
    edges,
    nodes: page.edges.map((e) => e.row),
    pageInfo: {
      hasNextPage: page.hasNextPage,
      get endCursor() {
        return last ? last.cursor : null;
      },
    },
    count,
  };
}

/** GraphQL filter input → the read model's filter: nulls (sent by clients for "no filter") dropped. */
function filterOf(filter: Record<string, unknown> | null | undefined): ListFilter | undefined {
  if (!filter) return undefined;
  const out = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== null && v !== undefined));
  return Object.keys(out).length > 0 ? (out as ListFilter) : undefined;
}

/**
 * One page of a list through the request's loaders: sibling parents asking for pages of the same list share one
 * statement (per-parent cursors, filters and sizes included), and so do their counts.
 */
export function loadConnection<L extends ListName>(
  ctx: GraphQLContext,
  list: L,
  scope: Scope,
  args: PageArgs & { filter?: Record<string, unknown> | null },
  parent?: readonly string[],
  extraFilter?: ListFilter,
): Promise<Connection<ListRow<L>>> {
  const filter = filterOf({ ...(args.filter ?? {}), ...(extraFilter ?? {}) });
  const where = {
    campaignId: scope.campaignId,
    branchId: scope.branchId,
    ...(parent ? { parent } : {}),
    ...(filter ? { filter } : {}),
  };
  const query: PageQuery = {
    ...where,
    first: pageSize(args.first),
    ...(args.after ? { after: decodeCursor(list, args.after) } : {}),
  };
  return ctx.loaders
    .page(list)
    .load(query)
    .then((page) => toConnection(list, page as Page<ListRow<L>>, () => ctx.loaders.count(list).load(where)));
}

/** The `totalCount` field of every connection type. */
export const connectionResolvers = Object.fromEntries(
  ['Kingdom', 'Location', 'Settlement', 'Structure', 'StateVariable', 'FieldCondition', 'WorldEvent'].map((t) => [
    `${t}Connection`,
    { totalCount: (c: Connection<unknown>) => c.count() },
  ]),
);
