import { findComputedCycle, type ExpressionDeps, type OwnerType } from '@cm/contracts';
import { compileRule, type CompiledRule } from '../engine/compile.js';

/** A field condition as the rules service holds it: the definition and, unless it failed to compile, its rule. */
export interface ConditionDef {
  id: string;
  entityType: OwnerType;
  entityId: string | null;
  field: string;
  expression: unknown;
  priority: number;
  active: boolean;
  rule?: CompiledRule;
  /** Why it does not compile (defined before definition-time validation existed, say). */
  compileError?: string;
}

/** What a computed field of a type depends on, over every condition on it and through the fields it reads. */
export type FieldDeps = { [K in keyof ExpressionDeps]: ReadonlySet<string> };

const NO_DEPS: FieldDeps = {
  fields: new Set(),
  variables: new Set(),
  parentFields: new Set(),
  parentVariables: new Set(),
  collections: new Set(),
  computed: new Set(),
};

/**
 * Orders candidates: active first, then the higher priority, then a condition on this one entity before one on
 * the whole type, then the smaller id. The first active one wins.
 */
export function byPrecedence(a: ConditionDef, b: ConditionDef): number {
  return (
    Number(b.active) - Number(a.active) ||
    b.priority - a.priority ||
    Number(b.entityId !== null) - Number(a.entityId !== null) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** The field conditions of one campaign branch, indexed by entity type and field, with their dependency sets. */
export class ConditionBook {
  private readonly byId = new Map<string, ConditionDef>();
  private readonly byType = new Map<OwnerType, Map<string, ConditionDef[]>>();
  private readonly deps = new Map<OwnerType, Map<string, FieldDeps>>();
  /** Fields (per type) that read themselves through other computed fields: they answer RULE_CYCLE. */
  private readonly cyclic = new Map<OwnerType, Set<string>>();
  compileErrors = 0;

  get(id: string): ConditionDef | undefined {
    return this.byId.get(id);
  }

  all(): IterableIterator<ConditionDef> {
    return this.byId.values();
  }

  /** Defines or replaces a condition; returns the previous definition. Compiles it once, here. */
  put(def: Omit<ConditionDef, 'rule' | 'compileError'>): ConditionDef | undefined {
    const old = this.byId.get(def.id);
    const next: ConditionDef = { ...def };
    try {
      next.rule = compileRule(def.expression, def.entityType);
    } catch (e) {
      next.compileError = (e as Error).message;
      this.compileErrors++;
    }
    this.byId.set(def.id, next);
    this.reindex(def.entityType);
    if (old && old.entityType !== def.entityType) this.reindex(old.entityType);
    return old;
  }

  remove(id: string): ConditionDef | undefined {
    const old = this.byId.get(id);
    if (!old) return undefined;
    this.byId.delete(id);
    this.reindex(old.entityType);
    return old;
  }

  /** Every field defined on the type (active or not), each with its candidates in precedence order. */
  fieldsOf(type: OwnerType): ReadonlyMap<string, ConditionDef[]> {
    return this.byType.get(type) ?? EMPTY_FIELDS;
  }

  /** The candidates for one entity's field, winner (if any is active) first. */
  candidates(type: OwnerType, id: string, field: string): ConditionDef[] {
    return (this.fieldsOf(type).get(field) ?? []).filter((c) => c.entityId === null || c.entityId === id);
  }

  depsOf(type: OwnerType, field: string): FieldDeps {
    return this.deps.get(type)?.get(field) ?? NO_DEPS;
  }

  isCyclic(type: OwnerType, field: string): boolean {
    return this.cyclic.get(type)?.has(field) ?? false;
  }

  private reindex(type: OwnerType): void {
    const fields = new Map<string, ConditionDef[]>();
    for (const c of this.byId.values()) {
      if (c.entityType !== type) continue;
      let list = fields.get(c.field);
      if (!list) fields.set(c.field, (list = []));
      list.push(c);
    }
    for (const list of fields.values()) list.sort(byPrecedence);
    this.byType.set(type, fields);

    // Direct dependencies per field, the union over its conditions (entity-specific ones count for the type).
    const direct = new Map<string, ExpressionDeps[]>();
    for (const [field, list] of fields)
      direct.set(
        field,
        list.flatMap((c) => (c.rule ? [c.rule.deps] : [])),
      );
    // Cycles are among active conditions only, the graph the command service refuses to close at definition
    // (an inactive condition never runs, so it cannot loop).
    const graph = new Map(
      [...fields].map(([f, list]) => [f, list.flatMap((c) => (c.active && c.rule ? c.rule.deps.computed : []))]),
    );
    const cyclic = new Set<string>();
    for (let cycle = findComputedCycle(graph); cycle; cycle = findComputedCycle(graph)) {
      for (const f of cycle) cyclic.add(f);
      graph.set(cycle[0]!, []); // break it and look for the next one
    }
    this.cyclic.set(type, cyclic);

    const closed = new Map<string, FieldDeps>();
    for (const field of fields.keys()) {
      const acc: { [K in keyof ExpressionDeps]: Set<string> } = {
        fields: new Set(),
        variables: new Set(),
        parentFields: new Set(),
        parentVariables: new Set(),
        collections: new Set(),
        computed: new Set(),
      };
      const seen = new Set<string>();
      const queue = [field];
      while (queue.length > 0) {
        const f = queue.pop()!;
        if (seen.has(f)) continue;
        seen.add(f);
        for (const d of direct.get(f) ?? []) {
          for (const k of Object.keys(acc) as (keyof ExpressionDeps)[]) for (const v of d[k]) acc[k].add(v);
          queue.push(...d.computed);
        }
      }
      closed.set(field, acc);
    }
    this.deps.set(type, closed);
  }

  fork(): ConditionBook {
    const copy = new ConditionBook();
    for (const c of this.byId.values())
      copy.put({
        id: c.id,
        entityType: c.entityType,
        entityId: c.entityId,
        field: c.field,
        expression: c.expression,
        priority: c.priority,
        active: c.active,
      });
    copy.compileErrors = 0;
    return copy;
  }
}

const EMPTY_FIELDS: ReadonlyMap<string, ConditionDef[]> = new Map();
