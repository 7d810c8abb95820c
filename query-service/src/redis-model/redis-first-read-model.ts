import { Counter, type Registry } from '@cm/platform';
import type { ReadModel } from '../read-model/read-model.port.js';
import type { ListName, ListQuery, Page, PageQuery } from '../read-model/lists.js';
import type { RedisReadModel } from './redis-read-model.js';
import type { Unserved } from './redis-lists.js';

/** The reads the Redis model serves, with the same arguments as the port's (plus the floor). */
type Served =
  | 'rolesByKeys'
  | 'branchesByKeys'
  | 'kingdomsByKeys'
  | 'kingdomsByScopes'
  | 'locationsByKeys'
  | 'locationsByScopes'
  | 'settlementsByKeys'
  | 'settlementsByParents'
  | 'structuresByKeys'
  | 'structuresBySettlements'
  | 'variablesByOwners';

/** Counts reads by the model that answered them (and why Postgres did): `cm_read_model_reads_total`. */
export class ReadModelMetrics {
  private static readonly byRegistry = new WeakMap<Registry, ReadModelMetrics>();
  readonly reads: Counter<'model' | 'method' | 'reason'>;

  static of(registry: Registry): ReadModelMetrics {
    let m = this.byRegistry.get(registry);
    if (!m) {
      m = new ReadModelMetrics(registry);
      this.byRegistry.set(registry, m);
    }
    return m;
  }

  private constructor(registry: Registry) {
    this.reads = new Counter({
      name: 'cm_read_model_reads_total',
      help: 'API read-model calls by the model that answered: redis, or postgres with why (not-served, too-large, behind, redis-error)',
      labelNames: ['model', 'method', 'reason'],
      registers: [registry],
    });
  }
}

export interface RedisFirstOptions {
  postgres: ReadModel;
  redis: RedisReadModel;
  /** The request's floor: the highest minSeq it has asked for so far. */
  floor: () => number;
  /** Resolves once Postgres has applied `seq` (STALE_READ after the bound): the fallback must not answer older. */
  postgresAt: (seq: number) => Promise<void>;
  metrics: ReadModelMetrics;
  onRedisError?: (err: unknown) => void;
}

/**
 * One request's read model: by-id reads (the membership and branch checks of every request included), child lists
 * and the pages of the lists Redis holds (up to a size bound) from Redis when its generation is complete and its
 * checkpoint is at least the request's floor, Postgres otherwise (and for everything Redis does not hold).
 * A read-your-writes wait may have been satisfied by either model, so every Postgres read first waits for
 * Postgres to reach the floor (at once in the usual case). No answer is ever older than the request's minSeq.
 */
export function redisFirstReadModel(opts: RedisFirstOptions): ReadModel {
  const { postgres, redis, floor, postgresAt, metrics } = opts;
  const fromPostgres = async <R>(method: string, reason: string, read: () => Promise<R>): Promise<R> => {
    metrics.reads.inc({ model: 'postgres', method, reason });
    await postgresAt(floor());
    return read();
  };
  const served = <M extends Served>(method: M) =>
    (async (input: unknown) => {
      const args = input as never;
      let answer: unknown;
      try {
        answer = await (redis[method] as (a: never, floor: number) => Promise<unknown>).call(redis, args, floor());
      } catch (err) {
        opts.onRedisError?.(err);
        return fromPostgres(method, 'redis-error', () =>
          (postgres[method] as (a: never) => Promise<unknown>).call(postgres, args),
        );
      }
      if (answer === undefined)
        return fromPostgres(method, 'behind', () =>
          (postgres[method] as (a: never) => Promise<unknown>).call(postgres, args),
        );
      metrics.reads.inc({ model: 'redis', method, reason: '' });
      return answer;
    }) as ReadModel[M];
  /**
   * A batch of list queries: those Redis answers from one script, the rest (a list, filter or cursor it does not
   * reproduce, a list over its size bound) from one Postgres statement, each answer in its query's place.
   */
  const lists =
    <Q, A>(
      method: 'listPages' | 'listCounts',
      fromRedis: (queries: readonly Q[], floor: number) => Promise<(A | Unserved)[] | undefined>,
      fromPg: (queries: readonly Q[]) => Promise<A[]>,
    ) =>
    async (queries: readonly Q[]): Promise<A[]> => {
      let answers: (A | Unserved)[] | undefined;
      try {
        answers = await fromRedis(queries, floor());
      } catch (err) {
        opts.onRedisError?.(err);
        return fromPostgres(method, 'redis-error', () => fromPg(queries));
      }
      if (answers === undefined) return fromPostgres(method, 'behind', () => fromPg(queries));
      const rest = queries.filter((_, i) => typeof answers[i] === 'string');
      if (rest.length < queries.length) metrics.reads.inc({ model: 'redis', method, reason: '' });
      if (rest.length === 0) return answers as A[];
      // One reason per call, as for the other reads: a list over the bound is the one worth telling apart.
      const reason = answers.includes('too-large') ? 'too-large' : 'not-served';
      const loaded = await fromPostgres(method, reason, () => fromPg(rest));
      let j = 0;
      return answers.map((a) => (typeof a === 'string' ? loaded[j++]! : a));
    };
  const other = <M extends keyof ReadModel>(method: M) =>
    ((...args: unknown[]) =>
      fromPostgres(method, 'not-served', () =>
        (postgres[method] as (...a: unknown[]) => Promise<unknown>).apply(postgres, args),
      )) as ReadModel[M];

  return {
    campaignsByIds: other('campaignsByIds'),
    campaignsOfUser: other('campaignsOfUser'),
    membersByCampaigns: other('membersByCampaigns'),
    rolesByKeys: served('rolesByKeys'),
    branchesByCampaigns: other('branchesByCampaigns'),
    branchesByKeys: served('branchesByKeys'),
    kingdomsByKeys: served('kingdomsByKeys'),
    kingdomsByScopes: served('kingdomsByScopes'),
    locationsByKeys: served('locationsByKeys'),
    locationsByScopes: served('locationsByScopes'),
    settlementsByKeys: served('settlementsByKeys'),
    settlementsByParents: served('settlementsByParents'),
    structuresByKeys: served('structuresByKeys'),
    structuresBySettlements: served('structuresBySettlements'),
    variablesByKeys: other('variablesByKeys'),
    variablesByOwners: served('variablesByOwners'),
    variablesByScopes: other('variablesByScopes'),
    fieldConditionsByKeys: other('fieldConditionsByKeys'),
    fieldConditionsByScopes: other('fieldConditionsByScopes'),
    worldEventsByKeys: other('worldEventsByKeys'),
    worldEventsByScopes: other('worldEventsByScopes'),
    // Paginated lists Redis holds (redis-lists.ts) up to a size bound; spatial queries are Postgres's (PostGIS).
    listPages: ((list: ListName, queries: readonly PageQuery[]) =>
      lists<PageQuery, Page<unknown>>(
        'listPages',
        (qs, at) => redis.listPages(list, qs, at),
        (qs) => postgres.listPages(list, qs),
      )(queries)) as ReadModel['listPages'],
    listCounts: (list, queries) =>
      lists<ListQuery, number>(
        'listCounts',
        (qs, at) => redis.listCounts(list, qs, at),
        (qs) => postgres.listCounts(list, qs),
      )(queries),
    settlementsWithinRadius: other('settlementsWithinRadius'),
    settlementsInBox: other('settlementsInBox'),
    locationsInBox: other('locationsInBox'),
    settlementsInRegion: other('settlementsInRegion'),
    nearestSettlements: other('nearestSettlements'),
    checkpoint: (projection) => postgres.checkpoint(projection),
  };
}
