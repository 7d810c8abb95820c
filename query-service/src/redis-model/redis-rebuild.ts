import { randomBytes } from 'node:crypto';
import type { NatsNames } from '@cm/contracts';
import type { QueryConfig } from '../config.js';
import { jetStreamHistory } from '../projector/event-history.js';
import {
  generationStamp,
  lastSeq,
  rebuildBatchSize,
  runShadowRebuild,
  type RebuildProgress,
  type ShadowRebuildOptions,
  type ShadowTarget,
} from '../projector/shadow-rebuild.js';
import { connectModelRedis, type ModelRedis } from './redis-client.js';
import { redisModelPrefix } from './redis-projector.js';
import { RedisProjectionWriter } from './redis-writer.js';

/*
 * `cm rebuild redis`: the Redis read model rebuilt from sequence 1 into a shadow generation while the live one
 * serves, then swapped in atomically (DESIGN §4, issue 13).
 *
 * Keys under the model's base prefix `<namespace>:rm:` (besides a generation's own keys, see redis-keys.ts):
 *   current   the live generation's key prefix; absent: the live generation lives under the base itself
 *   shadow    the prefix of a rebuild in progress (`<base>g:<time>-<random>:`), so a rerun finds and resumes it
 *   old       hash: prefix of each generation a swap replaced → when; kept until `cm rebuild redis --drop-old`
 *
 * The shadow is written by the same writer as the live model, at its fixed prefix, with its own generation
 * marker and checkpoint moved by each batch's script: a rebuild killed half way resumes at that checkpoint (or
 * starts over with --restart). The swap is one script (SWAP) that points `current` at the shadow only if the
 * shadow is complete and at or past the live checkpoint. Every read script and the live writer's batch script
 * resolve `current` themselves, so each runs wholly on one generation: readers never see a half-built one, and
 * a live batch after the swap finds the pointer moved, writes nothing (ModelLostError), and the live projector
 * re-reads the checkpoint of the new generation and continues from there: events up to the swap's checkpoint
 * were applied by the rebuild, the ones after it by the projector, none twice and none lost.
 */

/** Matches `text` literally in a SCAN pattern. */
const globEscape = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

async function scanKeys(client: ModelRedis, pattern: string, each: (keys: string[]) => Promise<void>): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) await each(keys);
    cursor = next;
  } while (cursor !== '0');
}

/** Deletes one generation's keys (documents, lists, marker), never another's: their prefixes do not nest. */
export async function deleteGeneration(client: ModelRedis, prefix: string): Promise<void> {
  for (const part of ['d:', 'l:'])
    await scanKeys(client, `${globEscape(prefix + part)}*`, async (keys) => void (await client.redis.unlink(...keys)));
  await client.redis.del(`${prefix}meta`);
}

/** Documents per table of a generation, tombstones included (the Postgres report counts rows the same way). */
async function documentCounts(client: ModelRedis, prefix: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  await scanKeys(client, `${globEscape(`${prefix}d:`)}*`, async (keys) => {
    for (const key of keys) {
      const table = key.slice(prefix.length + 2).split(':', 1)[0]!;
      counts[table] = (counts[table] ?? 0) + 1;
    }
  });
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
}

async function connect(config: QueryConfig): Promise<ModelRedis> {
  const client = connectModelRedis(config.REDIS_URL, config.REDIS_MODEL_DB);
  if (!(await client.ready(5000))) {
    await client.quit();
    throw new Error(`Redis read model unreachable at ${config.REDIS_URL}`);
  }
  return client;
}

async function openRedisShadow(client: ModelRedis, opts: ShadowRebuildOptions): Promise<ShadowTarget> {
  const base = redisModelPrefix(opts.names.prefix);
  const marker = `${base}shadow`;
  const found = await client.redis.get(marker);
  if (found !== null && opts.restart) {
    await deleteGeneration(client, found);
    await client.redis.del(marker);
  }
  await client.redis.set(marker, `${base}g:${generationStamp()}-${randomBytes(3).toString('hex')}:`, 'NX');
  const shadow = (await client.redis.get(marker))!;
  const live = async () => client.generation(base);
  const streamHead = () => lastSeq(opts);
  const writer = new RedisProjectionWriter(client, { shadow }, jetStreamHistory(opts.nats, opts.names), streamHead);
  return {
    live: (await live())[0],
    shadow,
    writer,
    liveCheckpoint: async () => Number((await live())[2]),
    // The live projector is not held back: the script swaps only once the shadow is at or past the live
    // checkpoint, and until then the shadow goes on to the stream's head and tries again.
    async swap(project, shadowCheckpoint) {
      for (;;) {
        const [status, liveSeq, old] = await client.swap(base, shadow, new Date().toISOString());
        if (status === 'OK') return { live: shadow, old: old!, liveCheckpoint: Number(liveSeq) };
        if (status === 'GONE')
          throw new Error(
            `the shadow generation ${shadow} disappeared (a flushed Redis or another --restart); run again`,
          );
        const head = await streamHead();
        if (shadowCheckpoint() < head) await project(head);
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    counts: async () => documentCounts(client, (await live())[0]),
    close: async () => undefined,
  };
}

/** Rebuilds the Redis read model into a shadow generation and swaps it in (see the top of this file). */
export async function rebuildRedisIntoShadow(
  opts: ShadowRebuildOptions,
): Promise<RebuildProgress & { phase: 'swapped' }> {
  const client = await connect(opts.config);
  try {
    const target = await openRedisShadow(client, opts);
    return await runShadowRebuild(target, {
      ...opts,
      batchSize: rebuildBatchSize(opts.batchSize, opts.config.PROJECTOR_BATCH_SIZE),
    });
  } finally {
    await client.quit();
  }
}

/** Drops the generations earlier swaps kept (never the live one); resolves to their prefixes. */
export async function dropOldRedisGenerations(config: QueryConfig, names: NatsNames): Promise<string[]> {
  const client = await connect(config);
  try {
    const base = redisModelPrefix(names.prefix);
    const [live] = await client.generation(base);
    const old = Object.keys(await client.redis.hgetall(`${base}old`)).sort();
    for (const prefix of old) {
      if (prefix !== live) await deleteGeneration(client, prefix);
      await client.redis.hdel(`${base}old`, prefix);
    }
    return old.filter((p) => p !== live);
  } finally {
    await client.quit();
  }
}
