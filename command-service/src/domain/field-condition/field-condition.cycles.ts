import { analyzeExpression, AppError, ErrorCode, findComputedCycleThrough, type OwnerType } from '@cm/contracts';
import type { FieldConditionState, JsonLogic } from './field-condition.state.js';

/** A definition as it would stand after the command. */
export interface ComputedFieldDef {
  entityType: OwnerType;
  field: string;
  expression: JsonLogic;
  active: boolean;
}

/**
 * Refuses (VALIDATION, naming the path) a definition that would close a cycle among the computed fields of its
 * entity type. The graph is the one the rules service evaluates by: per field, the union of the fields read by
 * its active conditions, a condition on one entity counting for the whole type (conditions are inherited by
 * forks, so `siblings` holds the branch's lineage). An inactive condition takes part in no cycle; activating it
 * is checked like a definition. A cycle that does not pass through this field (left by a race, see below) is
 * not this command's to refuse.
 *
 * The siblings are as fresh as the shell's listing of them (a cached fold with fewer commits than its subject is
 * read again). Race: two commands on different conditions, each adding half of a cycle, each see the other absent
 * and both pass; per-aggregate optimistic concurrency does not cover a set of aggregates, and NATS 2.9 has no expectation
 * on several subjects. That is accepted: the rules service marks such fields RULE_CYCLE at evaluation (tested in
 * its rules-state spec and in the computed-fields e2e), and either condition can then be updated or deleted.
 */
export function mustNotCloseCycle(def: ComputedFieldDef, siblings: ReadonlyMap<string, FieldConditionState>): void {
  if (!def.active) return;
  const graph = new Map<string, string[]>();
  const add = (field: string, expression: JsonLogic) => {
    let reads: readonly string[];
    try {
      reads = analyzeExpression(expression, def.entityType).computed;
    } catch {
      return; // a sibling stored before validation existed compiles to nothing in the rules service either
    }
    graph.set(field, [...(graph.get(field) ?? []), ...reads]);
  };
  for (const s of siblings.values()) {
    if (s.status === 'active' && s.active && s.entityType === def.entityType) add(s.field, s.expression);
  }
  add(def.field, def.expression);
  const cycle = findComputedCycleThrough(graph, def.field);
  if (!cycle) return;
  throw new AppError(
    ErrorCode.VALIDATION,
    `invalid expression: computed field ${def.field} of ${def.entityType} closes a cycle ${cycle.join(' -> ')}`,
    { path: `computed.${cycle[1]}`, cycle },
  );
}
