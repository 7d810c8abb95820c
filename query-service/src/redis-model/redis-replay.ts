import { AppError, ErrorCode, type EventAddress, type NatsNames, type ReplayReport } from '@cm/contracts';
import type { Nats } from '@cm/platform';
import { foldAggregates, rowChange } from '../projector/entity-replay.js';
import type { MergedRow } from '../projector/write-set.js';
import type { TableName } from '../read-model/tables.js';
import type { ModelRedis } from './redis-client.js';
import { LIST_SPECS_ARG, REDIS_PROJECTION, RedisKeys } from './redis-keys.js';
import { encodeValue, pushRowArgs } from './redis-writer.js';

/**
 * `cm replay --into redis`: re-projects the aggregates (projector/entity-replay.ts) into the Redis read model with
 * one `REPLAY_ROWS` script call (atomic on the server, guard `<=`, fenced by the live generation the pointer names
 * when it started, checkpoint untouched).
 * The documents are read before and after and compared; a dry run computes "after" from what the script would
 * write (the same guard, on the documents as read) and writes nothing. A model with no generation (flushed, never
 * built) is refused: the live projector rebuilds it from the stream.
 */
export async function replayIntoRedis(
  client: ModelRedis,
  prefix: string,
  nats: Nats,
  names: NatsNames,
  aggregates: readonly EventAddress[],
  dryRun: boolean,
): Promise<ReplayReport> {
  const [live, gen, seq, state] = await client.generation(prefix);
  const keys = new RedisKeys(live);
  if (gen === '')
    throw new AppError(
      ErrorCode.INVALID_STATE,
      `no Redis read model under ${live} (no generation marker): nothing to replay into`,
    );
  if (state !== 'complete')
    throw new AppError(
      ErrorCode.INVALID_STATE,
      `the Redis read model under ${live} is still being built (${state}); replay once it is complete`,
    );
  const uptoSeq = Number(seq);
  const fold = await foldAggregates(nats, names, aggregates, uptoSeq);
  const written: { kind: 'u' | 'p'; table: TableName; row: MergedRow }[] = [];
  for (const { table, upserts, patches } of fold.set.tables()) {
    for (const row of upserts) written.push({ kind: 'u', table, row });
    for (const group of patches) for (const row of group.rows) written.push({ kind: 'p', table, row });
  }
  const docKeys = written.map(({ table, row }) => keys.doc(table, row.key));
  const before = await readDocs(client, docKeys);
  let after: (Record<string, string> | undefined)[];
  if (dryRun) {
    after = written.map((w, i) => wouldWrite(w.kind, w.table, w.row, before[i]));
  } else {
    const rows: string[] = [];
    for (const { kind, table, row } of written) pushRowArgs(rows, keys, kind, table, row);
    const [status, detail] = await client.replayRows([prefix, live, gen, 0, 0, LIST_SPECS_ARG, JSON.stringify(rows)]);
    if (status === 'GEN')
      throw new AppError(
        ErrorCode.CONFLICT,
        `the Redis read model's generation changed (${detail || 'flushed'}); run again`,
      );
    after = await readDocs(client, docKeys);
  }
  return {
    projection: REDIS_PROJECTION,
    dryRun,
    aggregates: aggregates.length,
    events: fold.events,
    uptoSeq,
    rows: written.map(({ table, row }, i) => rowChange(table, row.key, row.seq, decode(before[i]), decode(after[i]))),
  };
}

async function readDocs(
  client: ModelRedis,
  docKeys: readonly string[],
): Promise<(Record<string, string> | undefined)[]> {
  if (docKeys.length === 0) return [];
  const pipeline = client.redis.pipeline();
  for (const key of docKeys) pipeline.hgetall(key);
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([err, value]) => {
    if (err) throw err;
    const doc = value as Record<string, string>;
    return Object.keys(doc).length === 0 ? undefined : doc;
  });
}

/** The document REPLAY_ROWS would leave: the same guard and the same fields, without writing. */
function wouldWrite(
  kind: 'u' | 'p',
  table: TableName,
  row: MergedRow,
  stored: Record<string, string> | undefined,
): Record<string, string> | undefined {
  if (stored === undefined && kind === 'p') return undefined;
  if (stored !== undefined && Number(stored.last_seq) > row.seq) return stored;
  const fields = kind === 'u' ? { ...row.key, ...row.values } : row.values;
  const out: Record<string, string> = kind === 'u' ? {} : { ...stored };
  for (const [name, value] of Object.entries(fields)) out[name] = encodeValue(table, name, value);
  out.last_seq = String(row.seq);
  return out;
}

/** A document's fields as values (each is JSON; `last_seq` a plain number). */
function decode(doc: Record<string, string> | undefined): Record<string, unknown> | undefined {
  if (!doc) return undefined;
  return Object.fromEntries(Object.entries(doc).map(([f, v]) => [f, f === 'last_seq' ? Number(v) : JSON.parse(v)]));
}
