import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { natsNames } from '@cm/contracts';
import { LOCAL_DEFAULTS, loadConfig } from './config.js';
import { closeNats, connectNats, type Nats } from './nats.js';
import {
  natsResources,
  natsResourcesConfigSchema,
  provisionNatsResources,
  ResourceMismatchError,
  verifyNatsResources,
} from './nats-resources.js';

// The provisioner and the services' check against the NATS server on this machine, in a namespace of its own.
const names = natsNames(`p${randomBytes(5).toString('hex')}`);
const settings = (env: Record<string, string> = {}) =>
  loadConfig(natsResourcesConfigSchema, { NODE_ENV: 'test', ...env });
let nats: Nats;

beforeAll(async () => {
  nats = await connectNats(
    process.env.NATS_URL ?? LOCAL_DEFAULTS.NATS_URL,
    'nats-resources-test',
    pino({ level: 'silent' }),
  );
});

afterAll(async () => {
  await nats.jsm.streams.delete(names.eventStream).catch(() => undefined);
  await nats.jsm.streams.delete(names.jobStream).catch(() => undefined);
  await nats.jsm.streams.delete(`KV_${names.leaseBucket}`).catch(() => undefined);
  await closeNats(nats);
});

describe('NATS resources', () => {
  it('a service refuses resources that do not exist yet, naming each and the command that makes them', async () => {
    const check = verifyNatsResources(nats.jsm, natsResources(names, settings()), 'query-projector');
    await expect(check).rejects.toBeInstanceOf(ResourceMismatchError);
    await expect(check).rejects.toThrow(`stream ${names.eventStream} does not exist; run \`npm run cm -- provision\``);
    await expect(check).rejects.toThrow(`KV ${names.leaseBucket} does not exist`);
    const sagas = verifyNatsResources(nats.jsm, natsResources(names, settings()), 'command-service');
    await expect(sagas).rejects.toThrow(
      `consumer saga-settlement-cascade does not exist; run \`npm run cm -- provision\``,
    );
    await expect(sagas).rejects.toThrow('consumer saga-world-event-effects does not exist');
  });

  it('provisions once, then finds everything unchanged; what it made passes every service check', async () => {
    const resources = natsResources(names, settings());
    expect(await provisionNatsResources(nats, resources)).toEqual([
      [`stream ${names.eventStream}`, 'created'],
      [`stream ${names.jobStream}`, 'created'],
      [`KV ${names.leaseBucket}`, 'created'],
      [`consumer ${names.projectionConsumer('postgres')}`, 'created'],
      [`consumer ${names.projectionConsumer('redis')}`, 'created'],
      ['consumer cache-invalidation', 'created'],
      ['consumer saga-settlement-cascade', 'created'],
      ['consumer saga-world-event-effects', 'created'],
      ['consumer scheduler-workers', 'created'],
    ]);
    expect((await provisionNatsResources(nats, resources)).map(([, r]) => r)).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
      'exists',
      'exists',
      'exists',
      'exists',
      'exists',
      'exists',
    ]);
    for (const user of ['command-service', 'query-api', 'query-projector', 'scheduler-service'] as const) {
      await expect(verifyNatsResources(nats.jsm, resources, user)).resolves.toBeUndefined();
    }
  });

  it('a service configured otherwise names every difference; provisioning with its settings makes them match', async () => {
    const other = natsResources(names, settings({ DUPLICATE_WINDOW_MS: '60000', PROJECTOR_LEASE_TTL_MS: '4000' }));
    const check = verifyNatsResources(nats.jsm, other, 'query-projector');
    await expect(check).rejects.toThrow(
      `stream ${names.eventStream}: duplicate_window is 120000 ms, this service expects 60000 ms; run \`npm run cm -- provision\``,
    );
    await expect(check).rejects.toThrow(`KV ${names.leaseBucket}: max_age is 10000 ms, this service expects 4000 ms`);
    // The command service does not use the lease bucket: only the stream's difference stops it.
    await expect(verifyNatsResources(nats.jsm, other, 'command-service')).rejects.toThrow(
      /^(?![\s\S]*KV)[\s\S]*duplicate_window/,
    );

    expect((await provisionNatsResources(nats, other)).map(([, r]) => r)).toEqual([
      'updated',
      'updated',
      'updated',
      'exists',
      'exists',
      'exists',
      'exists',
      'exists',
      'exists',
    ]);
    await expect(verifyNatsResources(nats.jsm, other, 'query-projector')).resolves.toBeUndefined();
    const info = await nats.jsm.streams.info(names.eventStream);
    expect(info.config.deny_delete && info.config.deny_purge && info.config.allow_direct).toBe(true);
  });

  it('a service whose consumer is set up otherwise names the difference; provisioning updates the consumer', async () => {
    // The stream and bucket settings of the test before, so that only the consumer differs.
    const env = { DUPLICATE_WINDOW_MS: '60000', PROJECTOR_LEASE_TTL_MS: '4000', SCHEDULER_JOB_ACK_WAIT_MS: '5000' };
    const other = natsResources(names, settings(env));
    await expect(verifyNatsResources(nats.jsm, other, 'scheduler-service')).rejects.toThrow(
      'consumer scheduler-workers: ack_wait is 30000 ms, this service expects 5000 ms; run `npm run cm -- provision`',
    );
    // Only the scheduler reads that consumer.
    await expect(verifyNatsResources(nats.jsm, other, 'command-service')).resolves.toBeUndefined();

    const results = new Map(await provisionNatsResources(nats, other));
    expect(results.get('consumer scheduler-workers')).toBe('updated');
    expect(results.get('consumer saga-settlement-cascade')).toBe('exists');
    await expect(verifyNatsResources(nats.jsm, other, 'scheduler-service')).resolves.toBeUndefined();
    const info = await nats.jsm.consumers.info(names.jobStream, 'scheduler-workers');
    expect(info.config).toMatchObject({ filter_subject: `${names.prefix}.job.run.>`, max_deliver: -1 });
  });
});
