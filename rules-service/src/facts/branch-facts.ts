import { RULE_ENTITIES, type OwnerType } from '@cm/contracts';
import type { ChildView } from '../engine/evaluation.js';

/** One entity as expressions see it: its fields (read-model columns, camelCase). Variables are kept beside it. */
export interface EntityFact {
  type: OwnerType;
  id: string;
  fields: Record<string, unknown>;
  /** Built on first use inside a parent's aggregate, dropped when the entity or its variables change. */
  view?: ChildView;
  /**
   * Its result-cache keys by field, built once: a key made by concatenation on every lookup has to be flattened
   * and hashed each time, which cost more than the cache lookup itself.
   */
  cacheKeys?: Map<string, string>;
}

/** A collection an entity belongs to: `<parentType>:<parentId>` lists it under `collection`. */
export interface Membership {
  parentType: OwnerType;
  parentId: string;
  collection: string;
}

/** Which field of a child names the parent of each collection; campaign collections use the campaign id. */
const LINKS: { parentType: OwnerType; collection: string; childType: OwnerType; link: string | null }[] =
  Object.entries(RULE_ENTITIES).flatMap(([parentType, shape]) =>
    Object.entries(shape.children).map(([collection, childType]) => ({
      parentType: parentType as OwnerType,
      collection,
      childType,
      link: parentType === 'campaign' ? null : `${parentType}Id`,
    })),
  );

export const entityKey = (type: OwnerType, id: string) => `${type}:${id}`;

/**
 * What the rules service knows of one campaign branch: entities, their variables, who lists whom, and the field
 * conditions (kept by the condition book). Plain in-memory maps, filled from the read model at start and kept
 * current by the events.
 */
export class BranchFacts {
  /** type → id → fact: looked up without building a combined key per request. */
  private readonly byType = new Map<OwnerType, Map<string, EntityFact>>();
  readonly variables = new Map<string, Record<string, unknown>>();
  /** `<parentType>:<parentId>:<collection>` → child ids. */
  readonly children = new Map<string, Set<string>>();

  constructor(readonly campaignId: string) {}

  get(type: OwnerType, id: string): EntityFact | undefined {
    return this.byType.get(type)?.get(id);
  }

  *all(): IterableIterator<EntityFact> {
    for (const m of this.byType.values()) yield* m.values();
  }

  /** The collections `fact` belongs to, from its link fields. */
  membershipsOf(fact: EntityFact): Membership[] {
    const out: Membership[] = [];
    for (const l of LINKS) {
      if (l.childType !== fact.type) continue;
      const parentId = l.link === null ? this.campaignId : (fact.fields[l.link] as string | undefined);
      if (parentId) out.push({ parentType: l.parentType, parentId, collection: l.collection });
    }
    return out;
  }

  /** The parent `parent.` paths read: the first membership whose parent type is the shape's parent. */
  parentOf(fact: EntityFact): EntityFact | undefined {
    const parentType = RULE_ENTITIES[fact.type].parent;
    if (!parentType) return undefined;
    const m = this.membershipsOf(fact).find((x) => x.parentType === parentType);
    return m ? this.get(parentType, m.parentId) : undefined;
  }

  childIds(parentType: OwnerType, parentId: string, collection: string): ReadonlySet<string> {
    return this.children.get(`${parentType}:${parentId}:${collection}`) ?? EMPTY;
  }

  /** Inserts or replaces an entity, keeping the collections it belongs to in step. */
  put(fact: EntityFact): void {
    const old = this.get(fact.type, fact.id);
    if (old) this.unlink(old);
    let ofType = this.byType.get(fact.type);
    if (!ofType) this.byType.set(fact.type, (ofType = new Map()));
    ofType.set(fact.id, fact);
    for (const m of this.membershipsOf(fact)) {
      const key = `${m.parentType}:${m.parentId}:${m.collection}`;
      let set = this.children.get(key);
      if (!set) this.children.set(key, (set = new Set()));
      set.add(fact.id);
    }
  }

  remove(type: OwnerType, id: string): EntityFact | undefined {
    const old = this.get(type, id);
    if (!old) return undefined;
    this.unlink(old);
    this.byType.get(type)!.delete(id);
    this.variables.delete(entityKey(type, id));
    return old;
  }

  private unlink(fact: EntityFact): void {
    for (const m of this.membershipsOf(fact))
      this.children.get(`${m.parentType}:${m.parentId}:${m.collection}`)?.delete(fact.id);
  }

  variablesOf(type: OwnerType, id: string): Record<string, unknown> | undefined {
    return this.variables.get(entityKey(type, id));
  }

  setVariable(type: OwnerType, id: string, key: string, value: unknown): void {
    const k = entityKey(type, id);
    // Replaced, never mutated: a child view handed out earlier keeps the values it was built with.
    this.variables.set(k, { ...this.variables.get(k), [key]: value });
    const fact = this.get(type, id);
    if (fact) fact.view = undefined;
  }

  unsetVariable(type: OwnerType, id: string, key: string): void {
    const k = entityKey(type, id);
    const vars = this.variables.get(k);
    if (!vars || !Object.hasOwn(vars, key)) return;
    const { [key]: _, ...rest } = vars;
    this.variables.set(k, rest);
    const fact = this.get(type, id);
    if (fact) fact.view = undefined;
  }

  /** A child as `map`/`filter` and the aggregates see it. */
  viewOf(fact: EntityFact): ChildView {
    fact.view ??= { ...fact.fields, variables: this.variablesOf(fact.type, fact.id) ?? {} };
    return fact.view;
  }

  /** A deep enough copy for a fork: the new branch then changes on its own. */
  fork(): BranchFacts {
    const copy = new BranchFacts(this.campaignId);
    for (const fact of this.all()) copy.put({ type: fact.type, id: fact.id, fields: { ...fact.fields } });
    for (const [k, v] of this.variables) copy.variables.set(k, { ...v });
    return copy;
  }
}

const EMPTY: ReadonlySet<string> = new Set();
