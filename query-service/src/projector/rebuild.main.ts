// `cm rebuild postgres|redis` runs this process (infra runs services as processes):
// node query-service/dist/projector/rebuild.main.js [--projection postgres|redis] [--restart] [--batch-size N] | --drop-old.
// Progress goes to stdout as one JSON document per line with a `phase`, among the log lines.
import { parseArgs } from 'node:util';
import { natsNames } from '@cm/contracts';
import { closeNats, connectNats, createLogger, runMain } from '@cm/platform';
import { loadQueryConfig } from '../config.js';
import { dropOldRedisGenerations, rebuildRedisIntoShadow } from '../redis-model/redis-rebuild.js';
import { dropOldGenerations, rebuildIntoShadow } from './shadow-rebuild.js';

runMain(async () => {
  const { values } = parseArgs({
    options: {
      projection: { type: 'string', default: 'postgres' },
      restart: { type: 'boolean' },
      'drop-old': { type: 'boolean' },
      'batch-size': { type: 'string' },
    },
    strict: true,
  });
  const redis = values.projection === 'redis';
  if (!redis && values.projection !== 'postgres') throw new Error(`no projection ${values.projection} to rebuild`);
  const config = loadQueryConfig();
  const logger = createLogger('query-rebuild', config);
  const emit = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
  if (values['drop-old']) {
    emit(
      redis
        ? { phase: 'dropped', generations: await dropOldRedisGenerations(config, natsNames(config.CM_NAMESPACE)) }
        : { phase: 'dropped', schemas: await dropOldGenerations(config, logger) },
    );
    return;
  }
  const nats = await connectNats(config.NATS_URL, 'query-service:rebuild', logger);
  try {
    const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
    const names = natsNames(config.CM_NAMESPACE);
    emit(
      await (redis ? rebuildRedisIntoShadow : rebuildIntoShadow)({
        config,
        logger,
        nats,
        names,
        restart: Boolean(values.restart),
        ...(batchSize ? { batchSize } : {}),
        report: emit,
      }),
    );
  } finally {
    await closeNats(nats);
  }
});
