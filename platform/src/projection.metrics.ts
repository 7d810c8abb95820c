import { Counter, Histogram, type Registry } from 'prom-client';

const BY_REGISTRY = new WeakMap<Registry, ProjectionApplyMetrics>();

/**
 * How fast a projection applies events, labelled by projection: the query service's projectors (a batch is a
 * transaction) and the processes that follow the stream themselves, the rules service and the realtime gateway
 * (a batch is one commit). One set per registry, so every projection of a process reports under its own label.
 */
export class ProjectionApplyMetrics {
  static of(registry: Registry): ProjectionApplyMetrics {
    let metrics = BY_REGISTRY.get(registry);
    if (!metrics) {
      metrics = new ProjectionApplyMetrics(registry);
      BY_REGISTRY.set(registry, metrics);
    }
    return metrics;
  }

  readonly eventsApplied: Counter<'projection'>;
  readonly batchSize: Histogram<'projection'>;
  readonly batchDuration: Histogram<'projection'>;

  private constructor(registry: Registry) {
    const registers = [registry];
    this.eventsApplied = new Counter({
      name: 'cm_projector_events_applied_total',
      help: 'Events applied to the read model',
      labelNames: ['projection'],
      registers,
    });
    this.batchDuration = new Histogram({
      name: 'cm_projector_batch_duration_seconds',
      help: 'Time to apply one batch (transaction and checkpoint included)',
      labelNames: ['projection'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'cm_projector_batch_events',
      help: 'Events in one applied batch',
      labelNames: ['projection'],
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      registers,
    });
  }

  /** One batch of `events` applied by `projection`, begun at `startedMs` (`performance.now()`). */
  applied(projection: string, events: number, startedMs: number): void {
    const labels = { projection };
    this.eventsApplied.inc(labels, events);
    this.batchSize.observe(labels, events);
    this.batchDuration.observe(labels, (performance.now() - startedMs) / 1000);
  }
}
