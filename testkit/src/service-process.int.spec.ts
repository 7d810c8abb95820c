import { natsNames } from '@cm/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@cm/infra';
import { closeTestNats, connectTestNats, dropNamespace, NATS_URL, testNamespace } from './nats.js';
import { distEntry, ServiceProcess } from './service-process.js';

// The kit's supervisor against the real command service: services only verify their NATS resources, so the kit
// provisions the namespace (with the settings of the service's env) before the process starts.
const namespace = testNamespace();
const names = natsNames(namespace);

afterAll(async () => {
  const nats = await connectTestNats('testkit-test');
  await dropNamespace(nats, names);
  await closeTestNats(nats);
});

describe('ServiceProcess', () => {
  it('provisions the namespace, starts the service until ready, and stops it with SIGTERM (exit 0)', async () => {
    const port = await freePort();
    const env = {
      CM_NAMESPACE: namespace,
      COMMAND_OPS_PORT: String(port),
      NATS_URL,
      NODE_ENV: 'test',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      DUPLICATE_WINDOW_MS: '30000',
    };
    const service = new ServiceProcess('command-service', distEntry('command-service'), env, port);
    service.start();
    await service.waitReady();
    expect(service.pid).toBeGreaterThan(0);

    const nats = await connectTestNats('testkit-test');
    try {
      expect((await nats.jsm.streams.info(names.eventStream)).config.duplicate_window).toBe(30_000 * 1_000_000);
    } finally {
      await closeTestNats(nats);
    }
    await service.kill('SIGTERM');
    expect(service.exitCode()).toBe(0);
  });
});
