import type { Geometry, OwnerType, Role, WorldEventEffect } from '@cm/contracts';

/** Key columns of a branch-scoped entity row. */
export interface BranchKey {
  campaign_id: string;
  branch_id: string;
  id: string;
}

/**
 * Every read-model table as the projection writes it: key columns and value columns in SQL spelling
 * (docs/read-model.md). `last_seq` and `updated_at` are added by the writer, never by a projection.
 */
export interface TableRows {
  campaign: {
    key: { id: string };
    values: { name: string; description: string | null; owner_id: string; archived: boolean; deleted: boolean };
  };
  campaign_member: { key: { campaign_id: string; user_id: string }; values: { role: Role; deleted: boolean } };
  branch: {
    key: { campaign_id: string; id: string };
    values: { name: string; parent_branch_id: string | null; forked_at_seq: number | null; deleted: boolean };
  };
  kingdom: { key: BranchKey; values: { name: string; deleted: boolean } };
  location: { key: BranchKey; values: { name: string; geometry: Geometry; deleted: boolean } };
  settlement: { key: BranchKey; values: { kingdom_id: string; location_id: string; name: string; level: number; deleted: boolean } };
  structure: {
    key: BranchKey;
    values: { settlement_id: string; name: string; structure_type: string; level: number; condition: number; deleted: boolean };
  };
  state_variable: {
    key: { campaign_id: string; branch_id: string; owner_type: OwnerType; owner_id: string; key: string };
    values: { value_type: 'number' | 'string' | 'boolean' | 'json'; value: unknown; deleted: boolean };
  };
  field_condition: {
    key: BranchKey;
    values: {
      entity_type: OwnerType;
      entity_id: string | null;
      field: string;
      expression: unknown;
      priority: number;
      active: boolean;
      deleted: boolean;
    };
  };
  world_event: {
    key: BranchKey;
    values: {
      name: string;
      description: string | null;
      status: 'scheduled' | 'active' | 'expired' | 'resolved';
      scheduled_at: string;
      expires_at: string | null;
      effects: WorldEventEffect[];
      outcome: string | null;
      deleted: boolean;
    };
  };
}

export type TableName = keyof TableRows;
export type KeyOf<T extends TableName> = TableRows[T]['key'];
export type ValuesOf<T extends TableName> = TableRows[T]['values'];

/** SQL types of columns; they decide how the writer encodes a value and casts its array parameter. */
export type ColumnType = 'text' | 'int' | 'bigint' | 'bool' | 'jsonb' | 'timestamptz' | 'geometry';

export interface TableSpec<T extends TableName> {
  name: T;
  /** Primary key columns, in index order (all `text`). */
  key: readonly (keyof KeyOf<T> & string)[];
  columns: { readonly [C in keyof ValuesOf<T> & string]: ColumnType };
  /** Keyed by `(campaign_id, branch_id, ...)`: copied into a branch when it is forked. */
  branchScoped: boolean;
}

const branchKey = ['campaign_id', 'branch_id', 'id'] as const;

/** Column specs of every table the projection writes. */
export const TABLES: { readonly [T in TableName]: TableSpec<T> } = {
  campaign: {
    name: 'campaign',
    key: ['id'],
    columns: { name: 'text', description: 'text', owner_id: 'text', archived: 'bool', deleted: 'bool' },
    branchScoped: false,
  },
  campaign_member: { name: 'campaign_member', key: ['campaign_id', 'user_id'], columns: { role: 'text', deleted: 'bool' }, branchScoped: false },
  branch: {
    name: 'branch',
    key: ['campaign_id', 'id'],
    columns: { name: 'text', parent_branch_id: 'text', forked_at_seq: 'bigint', deleted: 'bool' },
    branchScoped: false,
  },
  kingdom: { name: 'kingdom', key: branchKey, columns: { name: 'text', deleted: 'bool' }, branchScoped: true },
  location: { name: 'location', key: branchKey, columns: { name: 'text', geometry: 'geometry', deleted: 'bool' }, branchScoped: true },
  settlement: {
    name: 'settlement',
    key: branchKey,
    columns: { kingdom_id: 'text', location_id: 'text', name: 'text', level: 'int', deleted: 'bool' },
    branchScoped: true,
  },
  structure: {
    name: 'structure',
    key: branchKey,
    columns: { settlement_id: 'text', name: 'text', structure_type: 'text', level: 'int', condition: 'int', deleted: 'bool' },
    branchScoped: true,
  },
  state_variable: {
    name: 'state_variable',
    key: ['campaign_id', 'branch_id', 'owner_type', 'owner_id', 'key'],
    columns: { value_type: 'text', value: 'jsonb', deleted: 'bool' },
    branchScoped: true,
  },
  field_condition: {
    name: 'field_condition',
    key: branchKey,
    columns: { entity_type: 'text', entity_id: 'text', field: 'text', expression: 'jsonb', priority: 'int', active: 'bool', deleted: 'bool' },
    branchScoped: true,
  },
  world_event: {
    name: 'world_event',
    key: branchKey,
    columns: {
      name: 'text',
      description: 'text',
      status: 'text',
      scheduled_at: 'timestamptz',
      expires_at: 'timestamptz',
      effects: 'jsonb',
      outcome: 'text',
      deleted: 'bool',
    },
    branchScoped: true,
  },
};

export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** The tables a fork copies: every one keyed by branch. */
export const BRANCH_SCOPED_TABLES = TABLE_NAMES.filter((t) => TABLES[t].branchScoped);
