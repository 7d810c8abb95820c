import type { ReadinessCheck } from '@cm/platform';
import type { Cache } from './cache.port.js';
import type { CacheCounts } from './cache-stats.js';

export type HealthStatus = 'up' | 'degraded' | 'down';

/** The seeds' thresholds: a slower PING or a lower hit rate is `degraded`. */
export const CACHE_THRESHOLDS = { maxLatencyMs: 50, minHitRate: 0.5 } as const;

/** What `/health/cache` answers, in the seeds' shape. */
export interface CacheHealth {
  status: HealthStatus;
  redisPingMs: number | null;
  hitRate: number;
  stats: Omit<CacheCounts, 'hitRate'>;
  thresholds: typeof CACHE_THRESHOLDS;
  error?: string;
}

/**
 * The cache's state from a PING's latency (`undefined`: no answer) and the counts: down without an answer,
 * degraded over 50 ms or under a 0.5 hit rate. Before the first read there is no hit rate to judge.
 */
export function cacheStatus(
  pingMs: number | undefined,
  counts: Pick<CacheCounts, 'hits' | 'misses' | 'hitRate'>,
): HealthStatus {
  if (pingMs === undefined) return 'down';
  const reads = counts.hits + counts.misses;
  if (pingMs > CACHE_THRESHOLDS.maxLatencyMs || (reads > 0 && counts.hitRate < CACHE_THRESHOLDS.minHitRate))
    return 'degraded';
  return 'up';
}

export async function checkCache(cache: Cache): Promise<CacheHealth> {
  const { hitRate, startTime: _s, enabled: _e, families: _f, ...stats } = cache.stats();
  let pingMs: number | undefined;
  let error: string | undefined;
  try {
    pingMs = await cache.ping();
  } catch (err) {
    error = (err as Error).message;
  }
  const status = cacheStatus(pingMs, { ...stats, hitRate });
  return {
    status,
    redisPingMs: pingMs ?? null,
    hitRate,
    stats,
    thresholds: CACHE_THRESHOLDS,
    ...(error ? { error } : {}),
  };
}

/** One dependency in the `health` summary. */
export interface DependencyHealth {
  name: string;
  status: HealthStatus;
  latencyMs: number | null;
  details: unknown;
}

/** Every dependency: the readiness checks (up or down) and the cache (up, degraded or down). */
export async function healthSummary(
  checks: readonly ReadinessCheck[],
  cache: Cache | undefined,
): Promise<{ status: HealthStatus; dependencies: DependencyHealth[] }> {
  const dependencies = await Promise.all([
    ...checks.map(async ({ name, check }): Promise<DependencyHealth> => {
      const started = performance.now();
      try {
        const details = (await check()) ?? null;
        return { name, status: 'up', latencyMs: performance.now() - started, details };
      } catch (err) {
        return { name, status: 'down', latencyMs: null, details: { error: (err as Error).message } };
      }
    }),
    ...(cache
      ? [
          checkCache(cache).then(({ status, redisPingMs, ...details }): DependencyHealth => ({
            name: 'cache',
            status,
            latencyMs: redisPingMs,
            details,
          })),
        ]
      : []),
  ]);
  const worst = dependencies.some((d) => d.status === 'down')
    ? 'down'
    : dependencies.some((d) => d.status === 'degraded')
      ? 'degraded'
      : 'up';
  return { status: worst, dependencies };
}
