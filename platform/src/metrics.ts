import { Registry, collectDefaultMetrics, Counter, Histogram, Gauge } from 'prom-client';

/** One Prometheus registry per process, with the Node defaults and the service name as a label. */
export function createMetrics(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

export { Registry, Counter, Histogram, Gauge };
