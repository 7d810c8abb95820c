import { ownData as own, type ChildView, type RuleSubject } from './evaluation.js';

/** An entity as one plain JSON document: the shape `json-logic-js` sees the same entity in. */
export interface PlainEntity {
  [field: string]: unknown;
  variables?: Record<string, unknown>;
  parent?: Record<string, unknown> & { variables?: Record<string, unknown> };
  computed?: Record<string, unknown>;
}

/** A subject over a plain document, for the semantics table and the benchmarks. */
export function plainSubject(doc: PlainEntity): RuleSubject {
  return {
    field: (name) => own(doc, name),
    variable: (key) => own(doc.variables, key),
    parentField: (name) => own(doc.parent, name),
    parentVariable: (key) => own(doc.parent?.variables, key),
    children: (collection) => (Array.isArray(doc[collection]) ? (doc[collection] as ChildView[]) : []),
    computed: (field) => own(doc.computed, field),
  };
}
