import {
  RULE_ENTITIES,
  RuleErrorCode,
  type ComputedFieldExplanation,
  type ComputedFieldValue,
  type EntityComputedFields,
  type RulesEvaluateRequest,
} from '@cm/contracts';
import { ResultCache, type CachedResult } from './cache/result-cache.js';
import type { ConditionDef } from './conditions/condition-book.js';
import {
  DEFAULT_LIMITS,
  ownData,
  RuleEvaluationError,
  type ChildView,
  type EvaluationLimits,
  type RuleSubject,
} from './engine/evaluation.js';
import type { EntityFact } from './facts/branch-facts.js';
import type { BranchState, RulesState } from './rules-state.js';

/** Counters the service turns into metrics. */
export interface EvaluationStats {
  evaluations: number;
  errors: number;
}

/** A JSON-safe value: NaN and ±Infinity become null, as JSON.stringify would make them anyway. */
const jsonSafe = (v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v === undefined ? null : v);

/**
 * Answers requests from the state and the result cache. Every field of one entity is looked up in the cache
 * first; a miss evaluates the winning condition's compiled rule over a subject reading the fact store, and
 * caches the result. Synchronous from start to end, so a whole batch reflects one `appliedSeq`.
 */
export class Evaluator {
  readonly stats: EvaluationStats = { evaluations: 0, errors: 0 };

  constructor(
    readonly state: RulesState,
    private readonly limits: EvaluationLimits = DEFAULT_LIMITS,
  ) {}

  evaluate(req: RulesEvaluateRequest): EntityComputedFields[] {
    const b = this.state.branch(req.campaignId, req.branchId);
    const cache = this.state.cache;
    return req.entities.map(({ entityType, entityId }) => {
      const fact = b?.facts.get(entityType, entityId);
      if (!b || !fact) return { entityType, entityId, found: false, fields: [] };
      // Built only on the first miss: a fully cached entity costs one cache lookup per field.
      let run: EntityRun | undefined;
      const names = req.fields ?? b.book.fieldsOf(entityType).keys();
      const fields: ComputedFieldValue[] = [];
      for (const field of names) {
        const r = cache.get(cacheKeyOf(b, fact, field)) ?? (run ??= new EntityRun(this, b, fact)).compute(field);
        if (r) fields.push(r);
      }
      const out: EntityComputedFields = { entityType, entityId, found: true, fields };
      if (req.explain) out.explanation = (run ?? new EntityRun(this, b, fact)).explain(req.explain);
      return out;
    });
  }

  /** One uncached evaluation of `condition` for `run`'s entity, turning a coded failure into the field's error. */
  run(run: EntityRun, condition: ConditionDef): CachedResult {
    const { field } = condition;
    this.stats.evaluations++;
    if (!condition.rule) {
      this.stats.errors++;
      return {
        field,
        value: null,
        error: {
          code: RuleErrorCode.EVALUATION,
          message: `condition ${condition.id} does not compile: ${condition.compileError}`,
        },
      };
    }
    try {
      return { field, value: jsonSafe(condition.rule.evaluate(run.subject, this.limits)) };
    } catch (e) {
      this.stats.errors++;
      if (e instanceof RuleEvaluationError) return { field, value: null, error: { code: e.code, message: e.message } };
      // A stack overflow from a pathological array or string operation: cut off like any other bound.
      if (e instanceof RangeError)
        return { field, value: null, error: { code: RuleErrorCode.LIMIT, message: e.message } };
      return { field, value: null, error: { code: RuleErrorCode.EVALUATION, message: (e as Error).message } };
    }
  }
}

/** The evaluation of one entity's fields: computed fields read each other through it, with a cycle guard. */
class EntityRun {
  private readonly inProgress = new Set<string>();
  readonly subject: RuleSubject;

  constructor(
    private readonly evaluator: Evaluator,
    private readonly b: BranchState,
    private readonly fact: EntityFact,
  ) {
    const facts = b.facts;
    let parent: EntityFact | undefined | null = null;
    const parentOf = () => (parent === null ? (parent = facts.parentOf(fact)) : parent);
    this.subject = {
      field: (name) => ownData(fact.fields, name),
      variable: (key) => ownValue(facts.variablesOf(fact.type, fact.id), key),
      parentField: (name) => {
        const p = parentOf();
        return p ? ownData(p.fields, name) : undefined;
      },
      parentVariable: (key) => {
        const p = parentOf();
        return p ? ownValue(facts.variablesOf(p.type, p.id), key) : undefined;
      },
      children: (collection) => this.children(collection),
      computed: (field) => {
        const r = this.result(field);
        if (r?.error) throw new RuleEvaluationError(r.error.code, `computed.${field}: ${r.error.message}`);
        return r ? r.value : undefined;
      },
    };
  }

  private children(collection: string): ChildView[] {
    const childType = RULE_ENTITIES[this.fact.type].children[collection]!;
    const ids = this.b.facts.childIds(this.fact.type, this.fact.id, collection);
    const out: ChildView[] = [];
    for (const id of ids) {
      const child = this.b.facts.get(childType, id);
      if (child) out.push(this.b.facts.viewOf(child));
    }
    return out;
  }

  /** The cached or freshly computed result of `field`, or undefined when no active condition defines it here. */
  result(field: string): CachedResult | undefined {
    const { b, fact } = this;
    return this.evaluator.state.cache.get(cacheKeyOf(b, fact, field)) ?? this.compute(field);
  }

  /** Evaluates `field` (known not to be cached) and caches the result. */
  compute(field: string): CachedResult | undefined {
    const { b, fact } = this;
    const winner = this.winner(field);
    if (!winner) return undefined;
    let r: CachedResult;
    if (b.book.isCyclic(fact.type, field) || this.inProgress.has(field)) {
      r = {
        field,
        value: null,
        error: {
          code: RuleErrorCode.CYCLE,
          message: `computed field ${field} reads itself through other computed fields`,
        },
      };
    } else {
      this.inProgress.add(field);
      try {
        r = this.evaluator.run(this, winner);
      } finally {
        this.inProgress.delete(field);
      }
    }
    this.evaluator.state.cache.set(cacheKeyOf(b, fact, field), r);
    return r;
  }

  private winner(field: string): ConditionDef | undefined {
    const first = this.b.book.candidates(this.fact.type, this.fact.id, field)[0];
    return first?.active ? first : undefined;
  }

  explain(field: string): ComputedFieldExplanation {
    const candidates = this.b.book.candidates(this.fact.type, this.fact.id, field);
    const winner = candidates[0]?.active ? candidates[0] : undefined;
    const r = this.result(field);
    const inputs: Record<string, unknown> = {};
    const deps = winner?.rule?.deps;
    if (deps) {
      const s = this.subject;
      const read = (f: () => unknown) => {
        try {
          return jsonSafe(f());
        } catch (e) {
          return { error: (e as Error).message };
        }
      };
      for (const f of deps.fields) inputs[f] = read(() => s.field(f));
      for (const k of deps.variables) inputs[`variables.${k}`] = read(() => s.variable(k));
      for (const f of deps.parentFields) inputs[`parent.${f}`] = read(() => s.parentField(f));
      for (const k of deps.parentVariables) inputs[`parent.variables.${k}`] = read(() => s.parentVariable(k));
      for (const c of deps.collections) inputs[c] = { count: this.children(c).length };
      for (const f of deps.computed) inputs[`computed.${f}`] = read(() => s.computed(f));
    }
    return {
      field,
      value: r?.value ?? null,
      ...(r?.error ? { error: r.error } : {}),
      condition: winner
        ? {
            id: winner.id,
            entityType: winner.entityType,
            entityId: winner.entityId,
            priority: winner.priority,
            expression: winner.expression,
          }
        : null,
      candidates: candidates.map((c) => ({ id: c.id, entityId: c.entityId, priority: c.priority, active: c.active })),
      inputs,
    };
  }
}

/** The fact's cache key of `field`, built once per fact and field (see `EntityFact.cacheKeys`). */
function cacheKeyOf(b: BranchState, fact: EntityFact, field: string): string {
  fact.cacheKeys ??= new Map();
  let key = fact.cacheKeys.get(field);
  if (key === undefined)
    fact.cacheKeys.set(field, (key = ResultCache.key(b.campaignId, b.branchId, fact.type, fact.id, field)));
  return key;
}

const ownValue = ownData;
