import { AppError, ErrorCode } from '@cm/contracts';
import {
  containsPattern,
  FILTER_SQL,
  LISTS,
  type FilterName,
  type ListName,
  type ListQuery,
  type ListRow,
  type Page,
  type PageQuery,
} from './lists.js';
import { READERS, type DbRow, type RowReader } from './row-mappers.js';
import { pgArray, type Sql } from './sql.js';

/** Filter values as the statement's text parameters; numbers stay numbers until cast in SQL. */
function filterParam(name: FilterName, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return name === 'nameContains' ? containsPattern(String(value)) : String(value);
}

/**
 * Pages and counts of the declared lists (lists.ts), for any number of parents in one statement: the parents,
 * their cursors, filters and page sizes are `unnest`ed `WITH ORDINALITY` as `k`, and a `LATERAL` subquery takes
 * each parent's page as one range scan of the list's index (`(parent..., sort key) > after ... LIMIT first + 1`).
 * A nested query thus costs one statement per level, however many parents the level has and whatever page
 * each of them asks for.
 */
export class PostgresLists {
  constructor(
    private readonly sql: Sql,
    private readonly schema: string,
  ) {}

  private table(name: string): string {
    return `"${this.schema}"."${name}"`;
  }

  /** The inputs every list statement shares, and the WHERE of `t` against them (cursor not included). */
  private inputs(name: ListName, queries: readonly ListQuery[]) {
    const decl = LISTS[name];
    const cols: [string, string, (string | null)[]][] = [];
    const where = ['NOT t.deleted'];
    if ('byPrimaryKey' in decl) {
      cols.push(
        ['campaign_id', 'text', queries.map((q) => q.campaignId)],
        ['branch_id', 'text', queries.map((q) => q.branchId)],
      );
      where.push('t.campaign_id = k.campaign_id', 't.branch_id = k.branch_id');
    } else {
      // The scope as the list indexes spell it (Migration20261129230000_list_indexes): ids hold no `/`.
      cols.push(['scope', 'text', queries.map((q) => `${q.campaignId}/${q.branchId}`)]);
      where.push("(t.campaign_id || '/' || t.branch_id) = k.scope");
    }
    decl.parent.forEach((column, n) => {
      cols.push([`p${n}`, 'text', queries.map((q) => requireParent(name, q, n))]);
      where.push(`t.${column} = k.p${n}`);
    });
    for (const f of decl.filters) {
      const values = queries.map((q) => filterParam(f, q.filter?.[f]));
      // A filter nobody in this batch set is left out of the statement, which keeps its plan simple.
      if (values.every((v) => v === null)) continue;
      cols.push([`f_${f}`, 'text', values]);
      where.push(
        `(k.f_${f} IS NULL OR ${FILTER_SQL[f](`k.f_${f}`, 'ownerType' in decl ? decl.ownerType : undefined)})`,
      );
    }
    for (const q of queries) rejectUnknownFilters(name, q);
    return { cols, where: where.join(' AND ').replaceAll('{state_variable}', this.table('state_variable')) };
  }

  private source(cols: [string, string, unknown[]][]): { from: string; params: string[] } {
    return {
      from: `unnest(${cols.map(([, type]) => `?::${type}[]`).join(', ')}) WITH ORDINALITY AS k(${cols.map(([c]) => c).join(', ')}, i)`,
      params: cols.map(([, , values]) => pgArray(values)),
    };
  }

  async pages<L extends ListName>(name: L, queries: readonly PageQuery[]): Promise<Page<ListRow<L>>[]> {
    const out: Page<ListRow<L>>[] = queries.map(() => ({ edges: [], hasNextPage: false }));
    if (queries.length === 0) return out;
    const decl = LISTS[name];
    const { select, map } = READERS[decl.table] as unknown as RowReader<ListRow<L>>;
    const { cols, where } = this.inputs(name, queries);
    decl.order.forEach((o, n) => cols.push([`a${n}`, 'text', queries.map((q) => q.after?.[n] ?? o.floor)]));
    cols.push(['lim', 'int', queries.map((q) => String(q.first + 1))]);
    for (const q of queries) {
      if (q.after && q.after.length !== decl.order.length) throw badCursor();
    }
    const keyOf = decl.order.map((o) => o.expr).join(', ');
    const after = decl.order.map((o, n) => `k.a${n}::${o.type}`).join(', ');
    const sortCols = decl.order.map((o, n) => `${o.expr} AS s${n}, (${o.expr})::text AS c${n}`).join(', ');
    const { from, params } = this.source(cols);
    const sql =
      `SELECT k.i, p.* FROM ${from} CROSS JOIN LATERAL (SELECT ${select}, ${sortCols} FROM ${this.table(decl.table)} t ` +
      `WHERE ${where} AND (${keyOf}) > (${after}) ORDER BY ${keyOf} LIMIT k.lim) p ` +
      `ORDER BY k.i, ${decl.order.map((_, n) => `p.s${n}`).join(', ')}`;
    const rows = await this.sql.all<DbRow>(sql, params).catch(rethrowBadCursor);
    for (const r of rows) {
      const n = Number(r.i) - 1;
      const page = out[n]!;
      if (page.edges.length === queries[n]!.first) {
        page.hasNextPage = true;
        continue;
      }
      page.edges.push({ row: map(r), key: decl.order.map((_, c) => String(r[`c${c}`])) });
    }
    return out;
  }

  async counts(name: ListName, queries: readonly ListQuery[]): Promise<number[]> {
    if (queries.length === 0) return [];
    const decl = LISTS[name];
    const { cols, where } = this.inputs(name, queries);
    const { from, params } = this.source(cols);
    const rows = await this.sql.all<{ i: string; n: string }>(
      `SELECT k.i, (SELECT count(*) FROM ${this.table(decl.table)} t WHERE ${where}) AS n FROM ${from} ORDER BY k.i`,
      params,
    );
    return rows.map((r) => Number(r.n));
  }
}

function requireParent(name: ListName, q: ListQuery, n: number): string {
  const value = q.parent?.[n];
  if (value === undefined) throw new Error(`list ${name} needs parent value ${n} (${LISTS[name].parent[n]})`);
  return value;
}

function rejectUnknownFilters(name: ListName, q: ListQuery): void {
  const allowed: readonly string[] = LISTS[name].filters;
  for (const [f, v] of Object.entries(q.filter ?? {})) {
    if (v !== undefined && v !== null && !allowed.includes(f)) throw new Error(`list ${name} takes no filter ${f}`);
  }
}

const badCursor = () => new AppError(ErrorCode.VALIDATION, 'after: not a cursor of this list', { argument: 'after' });

/** A cursor whose values do not parse as the sort key's types (22P02, 22007, 22008) is the client's mistake. */
function rethrowBadCursor(e: unknown): never {
  const code = (e as { code?: string }).code;
  if (code === '22P02' || code === '22007' || code === '22008') throw badCursor();
  throw e;
}
