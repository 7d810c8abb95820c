import { randomBytes } from 'node:crypto';
import type { NatsNames } from '@cm/contracts';
import { dropRedisModel } from '@cm/infra';
import { closeNats, connectNats, createLogger, LOCAL_DEFAULTS, type Logger, type Nats } from '@cm/platform';

export const NATS_URL = process.env.NATS_URL ?? LOCAL_DEFAULTS.NATS_URL;

/** A fresh namespace per test file: `t` + hex, lowercase letters and digits only. */
export function testNamespace(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

/** Logs only when TEST_LOG_LEVEL asks for it. */
function quietLogger(name: string): Logger {
  const level = (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent';
  return createLogger(name, { LOG_LEVEL: level, LOG_FORMAT: 'json', NODE_ENV: 'test' });
}

export async function connectTestNats(name: string): Promise<Nats> {
  return connectNats(NATS_URL, name, quietLogger(name));
}

export async function closeTestNats(nats: Nats | undefined): Promise<void> {
  await closeNats(nats);
}

/**
 * Removes everything a test namespace created: on NATS the event and job streams (consumers with them) and the
 * lease bucket, and the Redis read model its query-service processes projected.
 */
export async function dropNamespace(nats: Nats, names: NatsNames): Promise<void> {
  await nats.jsm.streams.delete(names.eventStream).catch(() => undefined);
  await nats.jsm.streams.delete(names.jobStream).catch(() => undefined);
  await nats.jsm.streams.delete(`KV_${names.leaseBucket}`).catch(() => undefined);
  // A query-service process of the namespace projected a Redis read model too.
  await dropRedisModel(names.prefix);
}

export async function lastSeq(nats: Nats, names: NatsNames): Promise<number> {
  return (await nats.jsm.streams.info(names.eventStream)).state.last_seq;
}
