import { RULE_ENTITIES, type AnyEvent, type OwnerType } from '@cm/contracts';
import { ResultCache, type InvalidationReason } from './cache/result-cache.js';
import { ConditionBook } from './conditions/condition-book.js';
import { BranchFacts, type EntityFact, type Membership } from './facts/branch-facts.js';
import { entityEffectOf } from './facts/entity-events.js';

/** Facts and conditions of one campaign branch. */
export interface BranchState {
  campaignId: string;
  branchId: string;
  facts: BranchFacts;
  book: ConditionBook;
}

/** The child collections (of `type`) whose children read `parent.` paths of `type`. */
function childCollectionsReadingParent(type: OwnerType): [string, OwnerType][] {
  return Object.entries(RULE_ENTITIES[type].children).filter(([, child]) => RULE_ENTITIES[child].parent === type);
}

/**
 * Everything one rules-service instance knows, kept current event by event, and the invalidation that goes with
 * each event: exactly the cached results that read what changed. No I/O: the consumer feeds it events, the loader
 * feeds it read-model rows, the evaluator reads it.
 */
export class RulesState {
  /** campaign → branch → state: looked up per request without building a combined key. */
  private readonly branches = new Map<string, Map<string, BranchState>>();
  /** The last stream sequence applied: every answer reflects it. */
  appliedSeq = 0;

  constructor(readonly cache: ResultCache) {}

  branch(campaignId: string, branchId: string): BranchState | undefined {
    return this.branches.get(campaignId)?.get(branchId);
  }

  ensureBranch(campaignId: string, branchId: string): BranchState {
    let campaign = this.branches.get(campaignId);
    if (!campaign) this.branches.set(campaignId, (campaign = new Map()));
    let b = campaign.get(branchId);
    if (!b)
      campaign.set(
        branchId,
        (b = { campaignId, branchId, facts: new BranchFacts(campaignId), book: new ConditionBook() }),
      );
    return b;
  }

  *allBranches(): IterableIterator<BranchState> {
    for (const campaign of this.branches.values()) yield* campaign.values();
  }

  /** Applies every event of one commit at `seq`, dropping what they invalidate, then moves `appliedSeq`. */
  applyCommit(events: readonly AnyEvent[], seq: number): void {
    for (const e of events) this.apply(e);
    if (seq > this.appliedSeq) this.appliedSeq = seq;
  }

  private apply(e: AnyEvent): void {
    switch (e.type) {
      case 'BranchForked': {
        const parent = this.branch(e.campaignId, e.data.parentBranchId);
        const child = this.ensureBranch(e.campaignId, e.entityId);
        // Applied in stream order, the parent's facts now are its state just before the fork: what the fork copies.
        if (parent)
          this.branches
            .get(e.campaignId)!
            .set(e.entityId, { ...child, facts: parent.facts.fork(), book: parent.book.fork() });
        this.cache.dropWhere(e.campaignId, e.entityId, 'branch');
        return;
      }
      case 'BranchDeleted':
        this.branches.get(e.campaignId)?.delete(e.entityId);
        this.cache.dropWhere(e.campaignId, e.entityId, 'branch');
        return;
      case 'StateVariableSet':
      case 'StateVariableUnset': {
        const b = this.ensureBranch(e.campaignId, e.branchId);
        const { ownerType, ownerId, key } = e.data;
        if (e.type === 'StateVariableSet') b.facts.setVariable(ownerType, ownerId, key, e.data.value.value);
        else b.facts.unsetVariable(ownerType, ownerId, key);
        this.invalidateVariable(b, ownerType, ownerId, key);
        return;
      }
      case 'FieldConditionDefined':
      case 'FieldConditionUpdated':
      case 'FieldConditionDeleted':
        this.applyCondition(e);
        return;
      default: {
        const effect = entityEffectOf(e);
        if (!effect) return;
        const b = this.ensureBranch(e.campaignId, e.branchId);
        if (effect.type === 'campaign' && effect.kind === 'create') this.ensureBranch(e.campaignId, 'main');
        const old = b.facts.get(effect.type, effect.id);
        if (effect.kind === 'delete') {
          if (!old) return;
          b.facts.remove(effect.type, effect.id);
          this.invalidateEntity(b, old, null);
          return;
        }
        if (effect.kind === 'patch' && !old) return;
        const next: EntityFact = {
          type: effect.type,
          id: effect.id,
          fields: { ...old?.fields, ...effect.fields },
          cacheKeys: old?.cacheKeys,
        };
        b.facts.put(next);
        this.invalidateEntity(b, old ?? null, next);
      }
    }
  }

  private applyCondition(
    e: Extract<AnyEvent, { type: 'FieldConditionDefined' | 'FieldConditionUpdated' | 'FieldConditionDeleted' }>,
  ): void {
    const b = this.ensureBranch(e.campaignId, e.branchId);
    const old = b.book.get(e.entityId);
    if (e.type !== 'FieldConditionDefined' && !old) return;
    const type: OwnerType = e.type === 'FieldConditionDefined' ? e.data.entityType : old!.entityType;
    // Fields that read the old field through computed.<field>, before the dependency sets change.
    const doomed = old ? dependentsOf(b, type, new Set([old.field])) : new Set<string>();
    if (old) doomed.add(old.field);
    if (e.type === 'FieldConditionDefined') b.book.put({ id: e.entityId, ...e.data });
    else if (e.type === 'FieldConditionUpdated')
      b.book.put({ id: e.entityId, entityType: old!.entityType, entityId: old!.entityId, ...e.data });
    else b.book.remove(e.entityId);
    const now = b.book.get(e.entityId);
    if (now) {
      doomed.add(now.field);
      for (const f of dependentsOf(b, type, new Set([now.field]))) doomed.add(f);
    }
    this.cache.dropWhere(b.campaignId, b.branchId, 'condition', type, doomed);
  }

  /**
   * An entity was created, changed or deleted (`next` null). Drops its own results that read a changed field (all
   * of them on create or delete), the results of the collections' owners that aggregate it (before and after a
   * move), and those of its children that read a changed `parent.` field.
   */
  private invalidateEntity(b: BranchState, old: EntityFact | null, next: EntityFact | null): void {
    const fact = (next ?? old)!;
    const changed = new Set<string>();
    if (old && next) for (const [k, v] of Object.entries(next.fields)) if (old.fields[k] !== v) changed.add(k);
    const whole = !old || !next;
    if (!whole && changed.size === 0) return;
    const keys: string[] = [];
    this.ownResults(b, fact, keys, (deps) => whole || intersects(deps.fields, changed));
    const memberships = new Map<string, Membership>();
    for (const m of [...(old ? b.facts.membershipsOf(old) : []), ...(next ? b.facts.membershipsOf(next) : [])])
      memberships.set(`${m.parentType}:${m.parentId}:${m.collection}`, m);
    this.aggregators(b, memberships.values(), keys);
    for (const [collection, childType] of childCollectionsReadingParent(fact.type)) {
      for (const [field] of b.book.fieldsOf(childType)) {
        const deps = b.book.depsOf(childType, field);
        if (deps.parentFields.size === 0 && !(whole && deps.parentVariables.size > 0)) continue;
        if (!whole && !intersects(deps.parentFields, changed)) continue;
        for (const childId of b.facts.childIds(fact.type, fact.id, collection))
          keys.push(ResultCache.key(b.campaignId, b.branchId, childType, childId, field));
      }
    }
    this.cache.drop(keys, 'entity');
  }

  /** A variable of an entity changed: the same three directions as an entity change, by key. */
  private invalidateVariable(b: BranchState, type: OwnerType, id: string, key: string): void {
    const keys: string[] = [];
    const fact = b.facts.get(type, id);
    this.ownResults(b, { type, id, fields: {} }, keys, (deps) => deps.variables.has(key));
    if (fact) {
      this.aggregators(b, b.facts.membershipsOf(fact), keys);
      for (const [collection, childType] of childCollectionsReadingParent(type)) {
        for (const [field] of b.book.fieldsOf(childType)) {
          if (!b.book.depsOf(childType, field).parentVariables.has(key)) continue;
          for (const childId of b.facts.childIds(type, id, collection))
            keys.push(ResultCache.key(b.campaignId, b.branchId, childType, childId, field));
        }
      }
    }
    this.cache.drop(keys, 'variable' satisfies InvalidationReason);
  }

  private ownResults(
    b: BranchState,
    fact: EntityFact,
    keys: string[],
    affected: (deps: ReturnType<ConditionBook['depsOf']>) => boolean,
  ): void {
    for (const [field] of b.book.fieldsOf(fact.type)) {
      if (affected(b.book.depsOf(fact.type, field)))
        keys.push(ResultCache.key(b.campaignId, b.branchId, fact.type, fact.id, field));
    }
  }

  private aggregators(b: BranchState, memberships: Iterable<Membership>, keys: string[]): void {
    for (const m of memberships) {
      for (const [field] of b.book.fieldsOf(m.parentType)) {
        if (b.book.depsOf(m.parentType, field).collections.has(m.collection))
          keys.push(ResultCache.key(b.campaignId, b.branchId, m.parentType, m.parentId, field));
      }
    }
  }
}

/** Fields of `type` whose dependency closure reads one of `fields` as a computed field. */
function dependentsOf(b: BranchState, type: OwnerType, fields: Set<string>): Set<string> {
  const out = new Set<string>();
  for (const [f] of b.book.fieldsOf(type)) if (intersects(b.book.depsOf(type, f).computed, fields)) out.add(f);
  return out;
}

const intersects = (a: ReadonlySet<string>, b: ReadonlySet<string>) => [...b].some((x) => a.has(x));
