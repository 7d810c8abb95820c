import { snake, type Snake } from '../read-model/columns.js';
import type { KeyOf, TableName, ValuesOf } from '../read-model/tables.js';

/**
 * A whole row, written unless the stored row already reflects this sequence or a later one
 * (`WHERE table.last_seq < EXCLUDED.last_seq`): creations, and anything that (re)defines every column.
 */
interface UpsertOp<T extends TableName = TableName> {
  kind: 'upsert';
  table: T;
  key: KeyOf<T>;
  values: ValuesOf<T>;
  seq: number;
}

/**
 * Some columns of an existing row, under the same sequence guard. A patch of a row that does not exist changes
 * nothing: every event but a creation presupposes one. Deletion is a patch to `deleted = true` (a tombstone),
 * so that a redelivered creation, whose sequence is lower, cannot bring the row back.
 */
interface PatchOp<T extends TableName = TableName> {
  kind: 'patch';
  table: T;
  key: KeyOf<T>;
  values: Partial<ValuesOf<T>>;
  seq: number;
}

/**
 * `BranchForked`: fill the new branch with the parent branch's rows as of `forkedAtSeq`. Applied against the
 * state built from every event before `seq` (docs/read-model.md, Forks).
 */
export interface ForkOp {
  kind: 'fork';
  campaignId: string;
  branchId: string;
  parentBranchId: string;
  forkedAtSeq: number;
  seq: number;
}

export type RowOp = { [T in TableName]: UpsertOp<T> | PatchOp<T> }[TableName];
export type WriteOp = RowOp | ForkOp;

export function upsert<T extends TableName>(table: T, key: KeyOf<T>, values: ValuesOf<T>, seq: number): RowOp {
  return { kind: 'upsert', table, key, values, seq } as UpsertOp<T> as RowOp;
}

export function patch<T extends TableName>(table: T, key: KeyOf<T>, values: Partial<ValuesOf<T>>, seq: number): RowOp {
  return { kind: 'patch', table, key, values, seq } as PatchOp<T> as RowOp;
}

export function tombstone<T extends TableName>(table: T, key: KeyOf<T>, seq: number): RowOp {
  return patch(table, key, { deleted: true } as Partial<ValuesOf<T>>, seq);
}

/** An object with its keys in SQL spelling: `{ ownerId }` → `{ owner_id }`. */
type ColumnsOf<D> = { [K in keyof D & string as Snake<K>]: D[K] };

/**
 * Event data as row values, when the event carries columns under their domain names (creations): a field
 * added to such an event and declared on its table needs no line here. Upserts write declared columns only.
 */
export function columnsOf<D extends object>(data: D): ColumnsOf<D> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(data)) out[snake(name)] = value;
  return out as ColumnsOf<D>;
}
