import { Counter, Gauge, type Registry } from '@cm/platform';

/** Counts of one family of keys, or of all of them. The shape of the seeds' `CacheStats`. */
export interface CacheCounts {
  hits: number;
  misses: number;
  /** hits / (hits + misses); 0 before the first read. */
  hitRate: number;
  sets: number;
  deletes: number;
  patternDeletes: number;
}

/** What `cacheStats` answers: the counts overall and per key family, since `startTime`. */
export interface CacheStatsSnapshot extends CacheCounts {
  startTime: Date;
  /** `CACHE_METRICS_ENABLED`: when false nothing is counted. */
  enabled: boolean;
  families: Array<CacheCounts & { family: string }>;
}

type Op = 'hits' | 'misses' | 'sets' | 'deletes' | 'patternDeletes';
type Raw = Record<Op, number>;

const zero = (): Raw => ({ hits: 0, misses: 0, sets: 0, deletes: 0, patternDeletes: 0 });
const withRate = (r: Raw): CacheCounts => ({
  ...r,
  hitRate: r.hits + r.misses === 0 ? 0 : r.hits / (r.hits + r.misses),
});

/**
 * In-process counters of cache operations, overall and per key family (`computed-fields`, `settlements`,
 * `spatial`, ...), mirrored to Prometheus under the seeds' names with a `cache_type` label. Each API replica
 * counts its own requests; Prometheus sums them across replicas.
 */
export class CacheStats {
  private readonly families = new Map<string, Raw>();
  private readonly total = zero();
  private startTime = new Date();
  private readonly counters: Record<Op, Counter<'cache_type'>>;
  readonly pingLatency: Gauge;
  private pinger: (() => Promise<unknown>) | undefined;

  constructor(
    registry: Registry,
    readonly enabled: boolean,
  ) {
    const registers = [registry];
    const counter = (name: string, help: string) => new Counter({ name, help, labelNames: ['cache_type'], registers });
    this.counters = {
      hits: counter('cache_hits_total', 'Cache reads that found a value'),
      misses: counter('cache_misses_total', 'Cache reads that found nothing (or could not reach Redis)'),
      sets: counter('cache_sets_total', 'Cache writes'),
      deletes: counter('cache_deletes_total', 'Cache keys deleted by name'),
      patternDeletes: counter('cache_pattern_deletes_total', 'Pattern deletions (SCAN + DEL), one per pattern'),
    };
    const stats = this;
    this.pingLatency = new Gauge({
      name: 'redis_ping_latency_ms',
      help: 'Latency of the last PING to the cache Redis, in milliseconds (one PING per scrape)',
      registers,
      // Measured when scraped, so an alert on it reads a current figure, not the last health check's.
      async collect() {
        await stats.pinger?.();
      },
    });
    new Gauge({
      name: 'cache_hit_rate',
      help: 'Cache hits / (hits + misses) since start or the last reset',
      registers,
      // Read when scraped, so the gauge is never behind the counters.
      collect() {
        this.set(stats.snapshot().hitRate);
      },
    });
  }

  /**
   * PING with every scrape (`ping` sets the gauge). Bounded by `timeoutMs`, so an unreachable Redis slows no
   * scrape; the gauge then keeps its last value, and `/health/cache` says `down`.
   */
  pingOnScrape(ping: () => Promise<unknown>, timeoutMs = 1000): void {
    this.pinger = async () => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        ping().catch(() => undefined),
        new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]).finally(() => clearTimeout(timer));
    };
  }

  record(op: Op, family: string, n = 1): void {
    if (!this.enabled || n === 0) return;
    let f = this.families.get(family);
    if (!f) this.families.set(family, (f = zero()));
    f[op] += n;
    this.total[op] += n;
    this.counters[op].inc({ cache_type: family }, n);
  }

  snapshot(): CacheStatsSnapshot {
    return {
      ...withRate(this.total),
      startTime: this.startTime,
      enabled: this.enabled,
      families: [...this.families]
        .map(([family, raw]) => ({ family, ...withRate(raw) }))
        .sort((a, b) => a.family.localeCompare(b.family)),
    };
  }

  /** Starts counting afresh (the in-process figures; Prometheus counters are monotonic and stay). */
  reset(): void {
    this.families.clear();
    Object.assign(this.total, zero());
    this.startTime = new Date();
  }
}
