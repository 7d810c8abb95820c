// `cm replay --into <projection>` runs this process (infra runs services as processes):
// node query-service/dist/projector/replay.main.js --projection postgres|redis [--dry-run], with the aggregates to
// re-project as a JSON array of event addresses on stdin. Prints one JSON document: the `ReplayReport`, or
// `{ "error": { code, message } }` with exit code 1.
import { parseArgs } from 'node:util';
import { text } from 'node:stream/consumers';
import {
  AppError,
  ErrorCode,
  natsNames,
  REPLAY_PROJECTIONS,
  type EventAddress,
  type ReplayProjection,
  type ReplayReport,
} from '@cm/contracts';
import { closeNats, connectNats, createLogger, runMain } from '@cm/platform';
import { loadQueryConfig } from '../config.js';
import { openDatabase } from '../read-model/database.js';
import { connectModelRedis } from '../redis-model/redis-client.js';
import { redisModelPrefix } from '../redis-model/redis-projector.js';
import { replayIntoRedis } from '../redis-model/redis-replay.js';
import { replayIntoPostgres } from './postgres-replay.js';

runMain(async () => {
  const { values } = parseArgs({
    options: { projection: { type: 'string' }, 'dry-run': { type: 'boolean' } },
    strict: true,
  });
  const emit = (doc: object) => process.stdout.write(`${JSON.stringify(doc)}\n`);
  try {
    const projection = values.projection as ReplayProjection;
    if (!REPLAY_PROJECTIONS.includes(projection))
      throw new AppError(
        ErrorCode.VALIDATION,
        `no projection ${JSON.stringify(projection)}: ${REPLAY_PROJECTIONS.join(', ')}`,
      );
    const aggregates = JSON.parse(await text(process.stdin)) as EventAddress[];
    emit(await replay(projection, aggregates, Boolean(values['dry-run'])));
  } catch (e) {
    const error =
      e instanceof AppError ? e.toPayload() : { code: ErrorCode.INTERNAL, message: (e as Error)?.message ?? String(e) };
    emit({ error });
    process.exitCode = 1;
  }
});

async function replay(
  projection: ReplayProjection,
  aggregates: EventAddress[],
  dryRun: boolean,
): Promise<ReplayReport> {
  const config = loadQueryConfig();
  const logger = createLogger('query-replay', config);
  const names = natsNames(config.CM_NAMESPACE);
  const nats = await connectNats(config.NATS_URL, 'query-service:replay', logger);
  try {
    if (projection === 'postgres') {
      const db = await openDatabase(config, logger);
      try {
        return await replayIntoPostgres(db, nats, names, aggregates, dryRun);
      } finally {
        await db.close();
      }
    }
    const redis = connectModelRedis(config.REDIS_URL, config.REDIS_MODEL_DB);
    try {
      if (!(await redis.ready(5000))) throw new AppError(ErrorCode.UNAVAILABLE, 'Redis does not answer');
      return await replayIntoRedis(redis, redisModelPrefix(names.prefix), nats, names, aggregates, dryRun);
    } finally {
      await redis.quit();
    }
  } finally {
    await closeNats(nats);
  }
}
