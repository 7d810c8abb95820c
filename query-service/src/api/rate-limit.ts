import type http from 'node:http';
import type { Logger } from '@cm/platform';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { clientAddress, type ProxyTrust } from './client-address.js';

/** The seeds' tiers: strict for token endpoints, standard, relaxed; requests per window. */
export type RateTier = 'strict' | 'standard' | 'relaxed';
export const RATE_TIERS = ['strict', 'standard', 'relaxed'] as const;

/**
 * What a request is charged to. Queries and mutations of a signed-in user have budgets of their own; a request
 * without a token is charged to its IP address. The only answers such a request can get are the GraphiQL page,
 * which mints a token in development, and a 401: both token endpoints, hence the strict tier by default.
 */
export type RateBudget = 'query' | 'mutation' | 'anonymous';

export interface RateLimitSettings {
  windowSeconds: number;
  tiers: Record<RateTier, number>;
  budgets: Record<RateBudget, RateTier>;
  /** Whose `X-Forwarded-For` names the client of an anonymous request (`TRUST_PROXY`); default nobody's. */
  trustProxy?: ProxyTrust;
}

/** One request's standing against its budget, as the X-RateLimit headers tell it. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets (and, when refused, until a retry can succeed). */
  resetSeconds: number;
}

/** The X-RateLimit headers of a decision, and Retry-After when it refused. */
export function rateLimitHeaders(d: RateDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'X-RateLimit-Limit': String(d.limit),
    'X-RateLimit-Remaining': String(d.remaining),
    'X-RateLimit-Reset': String(d.resetSeconds),
  };
  if (!d.allowed) headers['Retry-After'] = String(d.resetSeconds);
  return headers;
}

export interface RateLimitsOptions {
  redis: Redis;
  settings: RateLimitSettings;
  logger: Logger;
  /** Prepended to the limiter's Redis keys (tests give each file its own). */
  keyPrefix?: string;
}

/**
 * Fixed-window request budgets kept in Redis, so every API replica charges the same counter. While Redis is
 * unreachable each replica counts in memory instead (rate-limiter-flexible's insurance limiter): the limit still
 * holds per replica, never fails open and never fails a request; the switch is logged once each way.
 */
export class RateLimits {
  private readonly limiters: Record<RateBudget, { limiter: RateLimiterRedis; points: number }>;
  private inMemory = false;

  constructor(private readonly opts: RateLimitsOptions) {
    const { settings, redis } = opts;
    const make = (budget: RateBudget) => {
      const points = settings.tiers[settings.budgets[budget]];
      const keyPrefix = `${opts.keyPrefix ?? ''}rl:${budget}`;
      const limiter = new RateLimiterRedis({
        storeClient: redis,
        keyPrefix,
        points,
        duration: settings.windowSeconds,
        // Straight to memory while the client is not connected, rather than after a failed command.
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: settings.windowSeconds }),
      });
      return { limiter, points };
    };
    this.limiters = { query: make('query'), mutation: make('mutation'), anonymous: make('anonymous') };
    redis.on('ready', () => this.switchTo(false));
    redis.on('close', () => this.switchTo(true));
  }

  /** The budget key of a request without a token: its client's address (see `clientAddress`). */
  anonymousCaller(req: http.IncomingMessage | undefined): string {
    const trust = this.opts.settings.trustProxy ?? { kind: 'none' };
    return `ip:${clientAddress(req?.socket.remoteAddress, req?.headers['x-forwarded-for'], trust)}`;
  }

  /** Charges a request of `caller` (a user id, or `ip:<address>`) to `budget`: `cost` points, 1 unless said. */
  async charge(caller: string, budget: RateBudget, cost = 1): Promise<RateDecision> {
    const { limiter, points } = this.limiters[budget];
    let res: RateLimiterRes;
    let allowed = true;
    try {
      res = await limiter.consume(caller, cost);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      res = refusal;
      allowed = false;
    }
    return {
      allowed,
      limit: points,
      remaining: res.remainingPoints,
      resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    };
  }

  private switchTo(inMemory: boolean): void {
    if (this.inMemory === inMemory) return;
    this.inMemory = inMemory;
    if (inMemory)
      this.opts.logger.warn('rate limits: Redis unreachable, counting in memory per replica until it is back');
    else this.opts.logger.info('rate limits: counting in Redis again');
  }
}
