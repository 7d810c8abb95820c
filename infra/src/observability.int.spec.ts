import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isolatedNames } from './isolation.js';
import { startSystem, type System } from './launcher.js';
import { SERVICES, type ServiceName } from './launcher/services.js';
import { repoRoot } from './paths.js';

/*
 * The shipped Prometheus config, alert rules and Grafana dashboard against the real services: the files parse,
 * Prometheus scrapes every service of the compose file, and every metric they name is one a running service
 * exports on /metrics (a renamed metric would otherwise leave an alert silently never firing).
 */

const APP_SERVICES = [
  'command-service',
  'query-service',
  'rules-service',
  'scheduler-service',
  'realtime-gateway',
] as const satisfies readonly ServiceName[];
/** Series Prometheus makes itself rather than scraping them. */
const PROMETHEUS_BUILTINS = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

let system: System;

const infraFile = async (path: string) => readFile(join(repoRoot, 'infra', path), 'utf8');

/** Every prefix of the metrics the services export (the seeds' names for the cache, `realtime_` for the gateway). */
const METRIC_PREFIXES = ['cm', 'process', 'nodejs', 'cache', 'redis', 'realtime'];

/** Metric names a PromQL expression reads: not strings, label matchers, nor the label lists of `by (...)` & co. */
function metricNames(expr: string): string[] {
  const withoutStrings = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1 ()');
  const name = new RegExp(`\\b((?:${METRIC_PREFIXES.join('|')})_[a-z0-9_]+|up)\\b(?!\\s*\\()`, 'g');
  return [...withoutStrings.matchAll(name)].map((m) => m[1]!);
}

/** Every series name a /metrics page can hold: declared names, and the histogram and summary series. */
function exported(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const m of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

beforeAll(async () => {
  system = await startSystem({ ...isolatedNames('obs'), services: [...APP_SERVICES], env: { LOG_LEVEL: 'warn' } });
});

afterAll(async () => {
  await system?.stop({ cleanup: true });
});

describe('dashboards and alert rules', () => {
  it('parse, scrape every service of the compose file, and name only metrics the services export', async () => {
    const compose = parse(await infraFile('docker-compose.yml')) as {
      services: Record<string, { profiles?: string[]; ports?: string[] }>;
    };
    const prometheus = parse(await infraFile('prometheus/prometheus.yml')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const alerts = parse(await infraFile('prometheus/alerts.yml')) as {
      groups: { name: string; rules: { alert: string; expr: string }[] }[];
    };
    const dashboard = JSON.parse(await infraFile('grafana/dashboards/campaign-manager.json')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };

    // Every application service of the compose file is scraped at its compose name and ops port, the launcher's.
    const appServices = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('app'));
    expect(appServices.map(([name]) => name).sort()).toEqual([...APP_SERVICES].sort());
    const targets = prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets)).sort();
    expect(targets).toEqual(appServices.map(([name]) => `${name}:${SERVICES[name as ServiceName].defaultPort}`).sort());
    for (const [name, service] of appServices)
      expect(service.ports).toEqual([
        `${SERVICES[name as ServiceName].defaultPort}:${SERVICES[name as ServiceName].defaultPort}`,
      ]);

    const exports = new Set<string>(PROMETHEUS_BUILTINS);
    for (const name of APP_SERVICES) {
      const res = await fetch(`${system.urls[name]}/metrics`);
      expect(res.status).toBe(200);
      for (const n of exported(await res.text())) exports.add(n);
    }

    const referenced = [
      ...alerts.groups.flatMap((g) => g.rules.map((r) => [`alert ${r.alert}`, r.expr] as const)),
      ...dashboard.panels.flatMap((p) => p.targets.map((t) => [`panel ${p.title}`, t.expr] as const)),
    ];
    expect(referenced.length).toBeGreaterThan(20);
    const unknown = referenced.flatMap(([where, expr]) =>
      metricNames(expr)
        .filter((n) => !exports.has(n))
        .map((n) => `${where}: ${n}`),
    );
    expect(unknown).toEqual([]);
    // Each topic of the issue has its alert.
    const alertNames = alerts.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(alertNames).toEqual(
      expect.arrayContaining([
        'ConsumerLagging',
        'ParkedEvents',
        'GraphQLErrorRate',
        'CommandErrorRate',
        'ReplicaCpuSaturated',
        'ReplicaMemoryHigh',
        'CacheHitRateLow',
        'CacheRedisSlow',
        'SseSlowConsumers',
        'SseDropsHigh',
      ]),
    );
    // The cache and SSE rules read what the query service and the gateway export, not look-alike names.
    const read = (alert: string) =>
      metricNames(alerts.groups.flatMap((g) => g.rules).find((r) => r.alert === alert)!.expr);
    expect(read('CacheHitRateLow')).toEqual(expect.arrayContaining(['cache_hits_total', 'cache_misses_total']));
    expect(read('CacheHitRateLowSinceStart')).toContain('cache_hit_rate');
    expect(read('CacheRedisSlow')).toEqual(['redis_ping_latency_ms']);
    expect(read('SseSlowConsumers')).toEqual(['realtime_dropped_total']);
    expect(read('SseDropsHigh')).toEqual(expect.arrayContaining(['realtime_dropped_total', 'realtime_subscriptions']));
  });

  it("exports the consumers' lag where the consumers live", async () => {
    const query = await (await fetch(`${system.urls['query-service']}/metrics`)).text();
    expect(query).toMatch(
      /^cm_consumer_seconds_behind\{stream="[A-Z0-9]+_EVENTS",consumer="projection-postgres"[^}]*\} \d/m,
    );
    expect(query).toMatch(
      /^cm_consumer_pending_messages\{stream="[A-Z0-9]+_EVENTS",consumer="projection-postgres"[^}]*\} \d/m,
    );
    const commands = await (await fetch(`${system.urls['command-service']}/metrics`)).text();
    expect(commands).toMatch(
      /^cm_consumer_applied_seq\{stream="[A-Z0-9]+_EVENTS",consumer="saga-settlement-cascade"[^}]*\} \d/m,
    );
    for (const [service, consumer] of [
      ['rules-service', 'follower-rules'],
      ['realtime-gateway', 'follower-gateway'],
    ] as const)
      expect(await (await fetch(`${system.urls[service]}/metrics`)).text()).toMatch(
        new RegExp(`^cm_consumer_seconds_behind\\{stream="[A-Z0-9]+_EVENTS",consumer="${consumer}"[^}]*\\} \\d`, 'm'),
      );
    const scheduler = await (await fetch(`${system.urls['scheduler-service']}/metrics`)).text();
    expect(scheduler).toMatch(
      /^cm_consumer_ack_pending_messages\{stream="[A-Z0-9]+_JOBS",consumer="scheduler-workers"[^}]*\} \d/m,
    );
  });
});
