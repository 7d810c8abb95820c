// `cm rebuild postgres` runs this process (infra runs services as processes): node query-service/dist/projector/rebuild.main.js
// [--restart] [--batch-size N] | --drop-old. Progress goes to stdout as one JSON document per line with a `phase`, among the log lines.
import { parseArgs } from 'node:util';
import { natsNames } from '@cm/contracts';
import { closeNats, connectNats, createLogger, runMain } from '@cm/platform';
import { loadQueryConfig } from '../config.js';
import { dropOldGenerations, rebuildIntoShadow } from './shadow-rebuild.js';

runMain(async () => {
  const { values } = parseArgs({
    options: { restart: { type: 'boolean' }, 'drop-old': { type: 'boolean' }, 'batch-size': { type: 'string' } },
    strict: true,
  });
  const config = loadQueryConfig();
  const logger = createLogger('query-rebuild', config);
  const emit = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
  if (values['drop-old']) {
    emit({ phase: 'dropped', schemas: await dropOldGenerations(config, logger) });
    return;
  }
  const nats = await connectNats(config.NATS_URL, 'query-service:rebuild', logger);
  try {
    const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
    const names = natsNames(config.CM_NAMESPACE);
    emit(
      await rebuildIntoShadow({
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
