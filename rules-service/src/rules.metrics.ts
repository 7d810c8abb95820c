import { Counter, Gauge, Histogram, type Registry } from '@cm/platform';
import type { ResultCache } from './cache/result-cache.js';
import type { Evaluator } from './evaluator.js';
import type { RulesState } from './rules-state.js';

/**
 * Prometheus metrics of the rules service. Most are read from the counters the cores keep (collected when
 * scraped), so the hot path increments plain numbers and never touches prom-client.
 */
export class RulesMetrics {
  private readonly latency: Histogram<'outcome'>;

  constructor(
    registry: Registry,
    cache: ResultCache,
    evaluator: Evaluator,
    state: RulesState,
    applyErrors: () => number,
  ) {
    this.latency = new Histogram({
      name: 'cm_rules_request_duration_seconds',
      help: 'Time to answer one cm.rules.evaluate request (a batch), including any minSeq wait',
      labelNames: ['outcome'],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    });
    const counterFrom = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    counterFrom(
      'cm_rules_cache_hits_total',
      'Computed-field results served from the per-instance cache',
      () => cache.hits,
    );
    counterFrom('cm_rules_cache_misses_total', 'Computed-field lookups that had to evaluate', () => cache.misses);
    counterFrom(
      'cm_rules_evaluations_total',
      'Uncached evaluations of a field condition',
      () => evaluator.stats.evaluations,
    );
    counterFrom(
      'cm_rules_evaluation_errors_total',
      'Evaluations that ended in a coded error (RULE_LIMIT, RULE_CYCLE, RULE_EVALUATION)',
      () => evaluator.stats.errors,
    );
    counterFrom(
      'cm_rules_cache_full_total',
      'Results not cached because the cache held RULES_CACHE_MAX_KEYS',
      () => cache.full,
    );
    counterFrom('cm_rules_apply_errors_total', 'Commits the event follower could not apply', applyErrors);
    counterFrom('cm_rules_compile_errors_total', 'Field conditions that did not compile when loaded or defined', () =>
      compileErrors(state),
    );
    new Counter({
      name: 'cm_rules_invalidations_total',
      help: 'Cached results dropped by events, by reason (entity, variable, condition, branch)',
      labelNames: ['reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(cache.invalidations)) this.inc({ reason }, n);
      },
    });
    new Gauge({
      name: 'cm_rules_cache_size',
      help: 'Results held in the per-instance cache',
      registers: [registry],
      collect() {
        this.set(cache.size);
      },
    });
    new Gauge({
      name: 'cm_rules_applied_seq',
      help: 'Last stream sequence this instance has applied',
      registers: [registry],
      collect() {
        this.set(state.appliedSeq);
      },
    });
  }

  observe(outcome: string, startedMs: number): void {
    this.latency.observe({ outcome }, (performance.now() - startedMs) / 1000);
  }
}

export function compileErrors(state: RulesState): number {
  let n = 0;
  for (const b of state.allBranches()) n += b.book.compileErrors;
  return n;
}
