import { Registry, collectDefaultMetrics, Counter, Histogram, Gauge } from 'prom-client';

/**
 * How often the event-loop lag histogram samples, in ms. prom-client's default of 10 wakes every process 100
 * times a second, which nearly doubled the CPU an idle system's services use (docs/perf.md). At 50 every stall
 * longer than 50 ms still delays a sample.
 */
const EVENT_LOOP_SAMPLE_MS = 50;

/** One Prometheus registry per process, with the Node defaults and the service name as a label. */
export function createMetrics(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  return registry;
}

export { Registry, Counter, Histogram, Gauge };
