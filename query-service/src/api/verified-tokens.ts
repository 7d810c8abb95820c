import { LRUCache } from 'lru-cache';
import { DEFAULT_TOKEN_RULES, verifyToken, type Principal, type TokenRules } from '@cm/platform';

/** Longest an entry is trusted without verifying the token again, whatever its `exp`. */
const MAX_AGE_MS = 60_000;
/** Bound on memory: past it, the least recently used entry makes room. Clients reuse a handful of tokens each. */
const MAX_ENTRIES = 10_000;

/**
 * Bearer tokens already verified, with their principal. Every request still presents and is checked against a
 * token; only the HS256 signature check of one we verified moments ago is skipped. Measured: jose's verify
 * (WebCrypto HMAC as an async job, claim checks) was ~14% of query-service CPU for `{ __typename }` and
 * createKingdom at 64 connections, the largest single cost on the path.
 *
 * An entry lives until the token's `exp` (jose's rule: valid while now < exp), and at most `MAX_AGE_MS`.
 * Failures are never cached: a bad token is verified (and refused) every time, as before.
 */
export class VerifiedTokens {
  private readonly entries = new LRUCache<string, { principal: Principal; validUntilMs: number }>({ max: MAX_ENTRIES });

  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
    private readonly rules: TokenRules = DEFAULT_TOKEN_RULES,
  ) {}

  async verify(token: string): Promise<Principal> {
    const hit = this.entries.get(token);
    if (hit) {
      if (this.now() < hit.validUntilMs) return hit.principal;
      this.entries.delete(token);
    }
    const principal = await verifyToken(this.secret, token, this.rules);
    const now = this.now();
    const exp = expiryOf(token);
    const validUntilMs = Math.min(now + MAX_AGE_MS, exp === undefined ? Infinity : exp * 1000);
    if (validUntilMs > now) {
      this.entries.set(token, { principal, validUntilMs });
    }
    return principal;
  }
}

/** `exp` (seconds) of a token that has just passed verification, so its payload is well-formed JSON. */
function expiryOf(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return 0; // unreadable: do not cache
  }
}
