import { Counter, Gauge, Histogram, type Registry } from '@cm/platform';

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

  private constructor(registry: Registry) {
    const registers = [registry];
    this.rebuilds = new Counter({
      name: 'cm_projector_rebuilds_total',
      help: 'Times the projection found its model lost (Redis flushed or restarted empty) and rebuilt it from the stream',
      labelNames: ['projection'],
      registers,
    });
    this.eventsApplied = new Counter({ name: 'cm_projector_events_applied_total', help: 'Events applied to the read model', labelNames: ['projection'], registers });
    this.batchDuration = new Histogram({
      name: 'cm_projector_batch_duration_seconds',
      help: 'Time to apply one batch (transaction and checkpoint included)',
      labelNames: ['projection'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.checkpoint = new Gauge({ name: 'cm_projector_checkpoint', help: 'Last stream sequence committed to the read model', labelNames: ['projection'], registers });
    this.leaseHeld = new Gauge({ name: 'cm_projector_lease_held', help: '1 while this instance is the active projector', labelNames: ['projection'], registers });
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
  }
}
