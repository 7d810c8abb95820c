/**
 * Cache statistics and service health (issue 10): the counts behind the read side's Redis cache, overall and per
 * key family, and the state of every dependency. Readable by a campaign's owners and game masters; the figures
 * are the API replica's own (the cache itself is shared), since its start or the last reset.
 */
export const cacheTypeDefs = /* GraphQL */ `
  "Cache operations of one key family (computed-fields, settlements, structures, spatial, ...), or of all."
  type CacheFamilyStats {
    family: String!
    hits: Int!
    misses: Int!
    "hits / (hits + misses); 0 before the first read."
    hitRate: Float!
    sets: Int!
    deletes: Int!
    patternDeletes: Int!
  }

  type CacheStats {
    hits: Int!
    misses: Int!
    hitRate: Float!
    sets: Int!
    deletes: Int!
    patternDeletes: Int!
    "When counting started (ISO-8601)."
    startTime: String!
    "CACHE_METRICS_ENABLED: when false nothing is counted."
    enabled: Boolean!
    families: [CacheFamilyStats!]!
  }

  enum HealthStatus {
    UP
    DEGRADED
    DOWN
  }

  "One dependency of the API: its state, how long its check took, and what the check reported."
  type DependencyHealth {
    name: String!
    status: HealthStatus!
    latencyMs: Float
    details: JSON
  }

  type Health {
    "DOWN when any dependency is down, DEGRADED when any is degraded, else UP."
    status: HealthStatus!
    dependencies: [DependencyHealth!]!
  }

  extend type Query {
    "Cache statistics of this API replica; owners and game masters of the campaign."
    cacheStats(campaignId: ID!): CacheStats!
    "The state of every dependency (NATS, Postgres, the projection, the cache); owners and game masters of the campaign."
    health(campaignId: ID!): Health!
  }
`;
