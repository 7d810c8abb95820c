import { Counter, Gauge, Histogram, ProjectionApplyMetrics, type Registry } from '@cm/platform';

const BY_REGISTRY = new WeakMap<Registry, ProjectorMetrics>();

/** What a projector reports to Prometheus, labelled by projection. */
export class ProjectorMetrics {
  /** One set per registry: every projection of a process reports into the same metrics under its own label. */
  static of(registry: Registry): ProjectorMetrics {
    let metrics = BY_REGISTRY.get(registry);
    if (!metrics) {
      metrics = new ProjectorMetrics(registry);
      BY_REGISTRY.set(registry, metrics);
    }
    return metrics;
  }

  readonly rebuilds: Counter<'projection'>;
  readonly eventsApplied: Counter<'projection'>;
  readonly batchDuration: Histogram<'projection'>;
  readonly checkpoint: Gauge<'projection'>;
  readonly leaseHeld: Gauge<'projection'>;
  readonly consumerResets: Counter<'projection'>;
  readonly leaseLost: Counter<'projection' | 'cause'>;
  readonly batchSize: Histogram<'projection'>;
  readonly parked: Counter<'projection'>;
  readonly parkedNow: Gauge<'projection'>;
  readonly poisonRetries: Counter<'projection'>;

  private constructor(registry: Registry) {
    const registers = [registry];
    // Shared with the processes that follow the stream themselves (rules, gateway): one definition, in platform.
    const apply = ProjectionApplyMetrics.of(registry);
    this.eventsApplied = apply.eventsApplied;
    this.batchDuration = apply.batchDuration;
    this.batchSize = apply.batchSize;
    this.rebuilds = new Counter({
      name: 'cm_projector_rebuilds_total',
      help: 'Times the projection found its model lost (Redis flushed or restarted empty) and rebuilt it from the stream',
      labelNames: ['projection'],
      registers,
    });
    this.checkpoint = new Gauge({
      name: 'cm_projector_checkpoint',
      help: 'Last stream sequence committed to the read model',
      labelNames: ['projection'],
      registers,
    });
    this.leaseHeld = new Gauge({
      name: 'cm_projector_lease_held',
      help: '1 while this instance is the active projector',
      labelNames: ['projection'],
      registers,
    });
    this.consumerResets = new Counter({
      name: 'cm_projector_consumer_resets_total',
      help: 'Times the projection consumer was re-created at checkpoint + 1 (takeover with deliveries in flight, gap, failure)',
      labelNames: ['projection'],
      registers,
    });
    this.leaseLost = new Counter({
      name: 'cm_projector_lease_lost_total',
      help: 'Times the active projector lost its lease: `stalled` (gave it up: no progress applying), `renewal` (taken or not renewable)',
      labelNames: ['projection', 'cause'],
      registers,
    });
    this.parked = new Counter({
      name: 'cm_projector_parked_total',
      help: 'Commits parked instead of applied: poison events after their retries, and later commits of their aggregates',
      labelNames: ['projection'],
      registers,
    });
    this.parkedNow = new Gauge({
      name: 'cm_projector_parked_events',
      help: 'Commits parked now, awaiting `cm parked retry` or `skip`',
      labelNames: ['projection'],
      registers,
    });
    this.poisonRetries = new Counter({
      name: 'cm_projector_poison_retries_total',
      help: 'Failed attempts of single commits (each may end parked)',
      labelNames: ['projection'],
      registers,
    });
  }
}
