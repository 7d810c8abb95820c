import { TABLE_NAMES, TABLES, type TableName } from '../read-model/tables.js';
import type { RowOp } from './write-ops.js';

const KEY_NAMES = Object.fromEntries(TABLE_NAMES.map((t) => [t, Object.keys(TABLES[t].key)])) as Record<
  TableName,
  string[]
>;

/** One row's net write after merging every op of a batch on it. */
export interface MergedRow {
  kind: 'upsert' | 'patch';
  key: Record<string, unknown>;
  values: Record<string, unknown>;
  /** The sequence of the last op merged in: the row's `last_seq` afterwards. */
  seq: number;
}

/** What one table receives from a batch: one multi-row upsert, and one multi-row update per set of columns. */
interface TableWrites {
  table: TableName;
  upserts: MergedRow[];
  /** Patches grouped by the columns they set (`columns` sorted), so each group is one statement. */
  patches: { columns: string[]; rows: MergedRow[] }[];
}

/**
 * The writes of a run of events, merged per row so that each row appears once per statement (Postgres rejects
 * an `INSERT ... ON CONFLICT DO UPDATE` that touches a row twice) and a batch costs a few statements per table
 * instead of one per event.
 *
 * Merging is exact because events arrive in stream order: a later op on a row either redefines it (upsert) or
 * overrides some columns of the merged result (patch), and the merged row carries the later sequence. A
 * stored row at or past that sequence already reflects every merged op, so the guard skips it as a whole.
 */
export class WriteSet {
  private readonly rows = new Map<TableName, Map<string, MergedRow>>();
  private count = 0;

  add(op: RowOp): void {
    let table = this.rows.get(op.table);
    if (!table) {
      table = new Map();
      this.rows.set(op.table, table);
    }
    const key = op.key as unknown as Record<string, unknown>;
    const id = KEY_NAMES[op.table].map((k) => String(key[k])).join('\u0000');
    const values = op.values as Record<string, unknown>;
    const existing = table.get(id);
    if (!existing) this.count += 1;
    if (op.kind === 'upsert' || !existing) {
      table.set(id, { kind: op.kind, key, values: { ...values }, seq: op.seq });
    } else {
      // A patch on top of an upsert stays an upsert (the row may not exist yet); on a patch it stays a patch.
      table.set(id, {
        kind: existing.kind,
        key,
        values: { ...existing.values, ...values },
        seq: Math.max(existing.seq, op.seq),
      });
    }
  }

  /** Rows with pending writes. */
  get size(): number {
    return this.count;
  }

  clear(): void {
    this.rows.clear();
    this.count = 0;
  }

  /** The pending writes, table by table. */
  tables(): TableWrites[] {
    const out: TableWrites[] = [];
    for (const [table, rows] of this.rows) {
      const upserts: MergedRow[] = [];
      const patches = new Map<string, { columns: string[]; rows: MergedRow[] }>();
      for (const row of rows.values()) {
        if (row.kind === 'upsert') {
          upserts.push(row);
          continue;
        }
        const columns = Object.keys(row.values).sort();
        const signature = columns.join(',');
        let group = patches.get(signature);
        if (!group) {
          group = { columns, rows: [] };
          patches.set(signature, group);
        }
        group.rows.push(row);
      }
      out.push({ table, upserts, patches: [...patches.values()] });
    }
    return out;
  }
}
