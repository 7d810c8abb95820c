import type { CommandType } from './commands.js';
import type { EntityType } from './domain.js';

/** Where an event lives: the tokens of its subject. */
export interface EventAddress {
  campaignId: string;
  branchId: string;
  entityType: EntityType;
  entityId: string;
}

/**
 * Every NATS name the system uses, derived from one namespace prefix (`cm` in production). Tests run whole
 * systems side by side on one server by giving each its own prefix, which changes stream, subject, bucket and
 * consumer names together.
 */
export function natsNames(prefix = 'cm') {
  const upper = prefix.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  return {
    prefix,
    /** The source of truth: `<PREFIX>_EVENTS` on `<prefix>.evt.>`. */
    eventStream: `${upper}_EVENTS`,
    eventWildcard: `${prefix}.evt.>`,
    jobStream: `${upper}_JOBS`,
    jobWildcard: `${prefix}.job.>`,
    commandWildcard: `${prefix}.cmd.>`,
    /** KV bucket that holds the projector leases. */
    leaseBucket: `${upper}_leases`,
    commandQueue: 'command-service',

    eventSubject(a: EventAddress): string {
      return `${prefix}.evt.${a.campaignId}.${a.branchId}.${a.entityType}.${a.entityId}`;
    },
    /** Every event of one aggregate type in one campaign branch (`*` for all branches). */
    entityTypeFilter(campaignId: string, branchId: string, entityType: EntityType): string {
      return `${prefix}.evt.${campaignId}.${branchId}.${entityType}.>`;
    },
    campaignFilter(campaignId: string, branchId = '*'): string {
      return `${prefix}.evt.${campaignId}.${branchId}.>`;
    },
    parseEventSubject(subject: string): EventAddress {
      const parts = subject.split('.');
      if (parts.length !== 6 || parts[0] !== prefix || parts[1] !== 'evt')
        throw new Error(`not an event subject: ${subject}`);
      return { campaignId: parts[2]!, branchId: parts[3]!, entityType: parts[4] as EntityType, entityId: parts[5]! };
    },
    commandSubject(type: CommandType): string {
      return `${prefix}.cmd.${type}`;
    },
    /** Projectors announce each applied checkpoint here, for read-your-writes waits. */
    checkpointSubject(projection: string): string {
      return `${prefix}.chk.${projection}`;
    },
    /** `cm parked retry|skip` asks a projection's active instance here (request/reply). */
    parkedControlSubject(projection: string): string {
      return `${prefix}.ops.parked.${projection}`;
    },
    rulesEvaluateSubject: `${prefix}.rules.evaluate`,
    /** The command service answers history requests (`HistoryRequest`) here: the fold lives beside its deciders. */
    historySubject: `${prefix}.history.entity`,
    /** Durable consumer name of a projection on the event stream. */
    projectionConsumer(projection: string): string {
      return `projection-${projection}`;
    },
    /** Durable consumer name of a saga (`SAGAS`) on the event stream. */
    sagaConsumer(saga: SagaName): string {
      return `saga-${saga}`;
    },
  };
}

/**
 * The command service's sagas (process managers), each with the aggregate type whose events it reacts to: its
 * durable consumer on the event stream is filtered to that type's subjects.
 */
export const SAGAS = {
  'settlement-cascade': 'settlement',
  'world-event-effects': 'world-event',
} as const satisfies Record<string, EntityType>;

export type SagaName = keyof typeof SAGAS;
export const SAGA_NAMES = Object.keys(SAGAS) as SagaName[];

export type NatsNames = ReturnType<typeof natsNames>;

/** Message headers we set on every commit. */
export const Headers = {
  /** JetStream de-duplication key: the command id. */
  MsgId: 'Nats-Msg-Id',
  CorrelationId: 'Cm-Correlation-Id',
  /**
   * Where the previous commits on the same subject are: their stream sequences, newest first, comma separated,
   * at most eight, and a final `0` when the list reaches back to the subject's first commit (a first commit
   * carries just `0`). The first entry is the expected last subject sequence the append was made with. Reading
   * an aggregate starts from its last commit and fetches these by sequence, in parallel, instead of scanning the
   * stream forwards for the subject.
   */
  PreviousSeqs: 'Cm-Prev-Seqs',
} as const;
