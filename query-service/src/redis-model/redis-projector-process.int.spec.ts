import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastSeq, waitForSagas, type ServiceProcess } from '@cm/testkit';
import { loadQueryConfig } from '../config.js';
import { ProjectorTestSystem } from '../projector/projector-system.test-util.js';
import { connectModelRedis, type ModelRedis } from './redis-client.js';
import { redisModelPrefix } from './redis-projector.js';
import { RedisReadModel } from './redis-read-model.js';
import { deleteUnder } from './model-rows.test-util.js';

// `QUERY_PROJECTIONS=redis`: a projector process that runs the Redis projection alone (the launcher's
// query-redis-projector), its own lease and checkpoint, while the Postgres projection is nobody's in this system.
const system = new ProjectorTestSystem('redis-projector-process-test');
const { names } = system;
const prefix = redisModelPrefix(system.ns);
let redis: ModelRedis;
let projector: ServiceProcess;

interface Ready {
  checks: Record<string, { state?: string; checkpoint?: number }>;
}

beforeAll(async () => {
  await system.start();
  redis = connectModelRedis(loadQueryConfig({ NODE_ENV: 'test' }).REDIS_URL, 0);
  projector = await system.startService('query-service', {
    QUERY_ROLE: 'projector',
    QUERY_PROJECTIONS: 'redis',
    REDIS_READ_MODEL: 'on',
  });
}, 60_000);

afterAll(async () => {
  await system.stop();
  if (redis) {
    await deleteUnder(redis.redis, prefix);
    await redis.quit();
  }
}, 60_000);

describe('a projector process with QUERY_PROJECTIONS=redis', () => {
  it('runs the Redis projection to the head and holds its lease only', async () => {
    await system.client.must('campaign.create', 'solo', 'solo', { name: 'Solo' });
    await system.client.must('kingdom.create', 'solo', 'k1', { name: 'Kingdom 1' });
    await waitForSagas(system.nats, names);
    const head = await lastSeq(system.nats, names);
    const deadline = Date.now() + 30_000;
    let ready: Ready | undefined;
    for (;;) {
      ready = (await fetch(`http://127.0.0.1:${projector.port}/ready`).then((r) => r.json())) as Ready;
      if (ready.checks['redis-projector']?.checkpoint === head) break;
      if (Date.now() > deadline) throw new Error(`the Redis projection did not reach ${head}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(ready.checks['redis-projector']?.state).toBe('active');
    expect(ready.checks.projector).toBeUndefined();
    const [kingdom] = await new RedisReadModel(redis, prefix).kingdomsByKeys(
      [{ campaignId: 'solo', branchId: 'main', id: 'k1' }],
      head,
    );
    expect(kingdom).toMatchObject({ id: 'k1', name: 'Kingdom 1' });
    const leases = await new Kvm(system.nats.js).open(names.leaseBucket);
    expect((await leases.get('projection-redis'))?.operation).toBe('PUT');
    expect(await leases.get('projection-postgres')).toBeNull();
  }, 60_000);
});
