import { TABLES, type TableName } from '../read-model/tables.js';

/** The Redis projection's name: its consumer, lease, checkpoint subject and metric label. */
export const REDIS_PROJECTION = 'redis';

/**
 * A set of document ids a table's live rows belong to, per parent: `column` null for every live row of the
 * scope (a branch, or a campaign for campaign-wide tables), else one set per value of that column. These back
 * the child lists the API reads; the order (name, id) is applied on read, as Postgres's `ORDER BY` does.
 */
export interface ListSpec {
  name: string;
  column: string | null;
}

export const LISTS: Partial<Record<TableName, readonly ListSpec[]>> = {
  branch: [{ name: 'c', column: 'campaign_id' }],
  kingdom: [{ name: 'all', column: null }],
  location: [{ name: 'all', column: null }],
  settlement: [
    { name: 'all', column: null },
    { name: 'k', column: 'kingdom_id' },
    { name: 'l', column: 'location_id' },
  ],
  structure: [{ name: 's', column: 'settlement_id' }],
  state_variable: [{ name: 'o', column: 'owner_id' }],
};

/** The list specs as the write script reads them: `table \t name \t column` per line. */
export const LIST_SPECS_ARG = Object.entries(LISTS)
  .flatMap(([table, specs]) => specs!.map((s) => `${table}\t${s.name}\t${s.column ?? ''}`))
  .join('\n');

const enc = encodeURIComponent;

/** Where a row lives: its branch scope (`campaign:branch`, empty for campaign-wide tables) and the rest of its key. */
export interface DocAddress {
  scope: string;
  rest: string;
}

/**
 * Key layout under one prefix (`<namespace>:rm:`), built here and, for list maintenance, in the write script
 * (which concatenates the same parts):
 *   meta                                   generation marker and checkpoint (hash: gen, seq, state, target)
 *   d:<table>:<scope>:<rest>               one row (hash: column → JSON value, last_seq)
 *   l:<table>:<list>[:<scope>][:<value>]   ids (`rest`) of the live rows of a list (set); value = JSON of the column
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  get meta(): string {
    return `${this.prefix}meta`;
  }

  address(table: TableName, key: Record<string, unknown>): DocAddress {
    const names = Object.keys(TABLES[table].key);
    const branchScoped = TABLES[table].branchScoped;
    const scope = branchScoped ? `${enc(String(key.campaign_id))}:${enc(String(key.branch_id))}` : '';
    const rest = names
      .slice(branchScoped ? 2 : 0)
      .map((n) => enc(String(key[n])))
      .join(':');
    return { scope, rest };
  }

  /** The prefix of a table's documents in one scope: a list member appended gives the document key. */
  docPrefix(table: TableName, scope: string): string {
    return `${this.prefix}d:${table}:${scope === '' ? '' : `${scope}:`}`;
  }

  doc(table: TableName, key: Record<string, unknown>): string {
    const { scope, rest } = this.address(table, key);
    return this.docPrefix(table, scope) + rest;
  }

  list(table: TableName, list: string, scope: string, value?: unknown): string {
    return `${this.prefix}l:${table}:${list}${scope === '' ? '' : `:${scope}`}${value === undefined ? '' : `:${JSON.stringify(value)}`}`;
  }

  static scopeOf(campaignId: string, branchId: string): string {
    return `${enc(campaignId)}:${enc(branchId)}`;
  }
}
