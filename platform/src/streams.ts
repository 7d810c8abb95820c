import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { NatsNames } from '@cm/contracts';

export interface EventStreamOptions {
  replicas: number;
  duplicateWindowMs: number;
}

/**
 * The event stream as DESIGN §2 defines it: the source of truth, so no age or size limit ever discards
 * history, and neither deletes nor purges are allowed. `allow_direct` serves aggregate reads from any replica.
 */
export function eventStreamConfig(names: NatsNames, opts: EventStreamOptions): Partial<StreamConfig> & { name: string } {
  return {
    name: names.eventStream,
    subjects: [names.eventWildcard],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: 0,
    max_bytes: -1,
    max_msgs: -1,
    max_msgs_per_subject: -1,
    deny_delete: true,
    deny_purge: true,
    allow_direct: true,
    duplicate_window: nanos(opts.duplicateWindowMs),
    num_replicas: opts.replicas,
  };
}

/** Creates the event stream, or updates the settings that may change; safe to run on every start. */
export async function ensureEventStream(jsm: JetStreamManager, names: NatsNames, opts: EventStreamOptions): Promise<'created' | 'updated' | 'unchanged'> {
  const config = eventStreamConfig(names, opts);
  const existing = await jsm.streams.info(names.eventStream).catch(() => undefined);
  if (!existing) {
    await jsm.streams.add(config);
    return 'created';
  }
  const c = existing.config;
  if (c.duplicate_window === config.duplicate_window && c.num_replicas === config.num_replicas && c.allow_direct && c.deny_delete && c.deny_purge) {
    return 'unchanged';
  }
  await jsm.streams.update(names.eventStream, { ...c, ...config, subjects: c.subjects });
  return 'updated';
}
