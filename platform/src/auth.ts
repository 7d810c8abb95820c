import { webcrypto } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { AppError, ErrorCode, ID_PATTERN } from '@cm/contracts';

/** The authenticated caller. */
export interface Principal {
  userId: string;
}

const ISSUER = 'campaign-manager';
const encoder = new TextEncoder();
// jose imports a raw secret as a WebCrypto key on every call: ~10% of a trivial GraphQL request in a profile.
// The secret never changes, so import it once.
const keys = new Map<string, Promise<webcrypto.CryptoKey>>();
const keyOf = (secret: string): Promise<webcrypto.CryptoKey> => {
  let key = keys.get(secret);
  if (!key) {
    key = webcrypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    keys.set(secret, key);
  }
  return key;
};

/** Issues an HS256 bearer token for `userId`. */
export async function signToken(secret: string, userId: string, ttl: string = '12h'): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(await keyOf(secret));
}

/** How strictly a token's times are read. */
export interface TokenRules {
  /**
   * How far ahead of our clock a token's `iat` and `nbf` may be: the issuer's clock may run a little fast, but a
   * token issued years from now was minted by someone who controls the secret and wants it to live forever.
   */
  clockSkewSeconds: number;
  /** Refuse tokens without `exp` (production: a leaked token without one is valid for ever). */
  requireExpiry: boolean;
}

/** Outside production: a minute of skew, tokens without `exp` allowed (hand-made test tokens). */
export const DEFAULT_TOKEN_RULES: TokenRules = { clockSkewSeconds: 60, requireExpiry: false };

/** The rules a service's configuration asks for (`JWT_CLOCK_SKEW_SECONDS`, and `exp` required in production). */
export function tokenRulesOf(config: { NODE_ENV: string; JWT_CLOCK_SKEW_SECONDS: number }): TokenRules {
  return { clockSkewSeconds: config.JWT_CLOCK_SKEW_SECONDS, requireExpiry: config.NODE_ENV === 'production' };
}

/** Verifies a bearer token and returns its principal, or throws `UNAUTHENTICATED`. */
export async function verifyToken(
  secret: string,
  token: string,
  rules: TokenRules = DEFAULT_TOKEN_RULES,
  now: () => number = Date.now,
): Promise<Principal> {
  const nowSeconds = Math.floor(now() / 1000);
  try {
    const { payload } = await jwtVerify(token, await keyOf(secret), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      // The tolerance is for `nbf`; `exp` is checked without it below, as before (valid while now < exp).
      clockTolerance: rules.clockSkewSeconds,
      currentDate: new Date(nowSeconds * 1000),
      requiredClaims: rules.requireExpiry ? ['exp'] : [],
    });
    if (payload.exp !== undefined && nowSeconds >= payload.exp)
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'token expired');
    if (payload.iat !== undefined && payload.iat > nowSeconds + rules.clockSkewSeconds) {
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'token issued in the future');
    }
    if (!payload.sub || !ID_PATTERN.test(payload.sub))
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'token has no valid subject');
    return { userId: payload.sub };
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError(ErrorCode.UNAUTHENTICATED, reasonOf(e));
  }
}

function reasonOf(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return 'token expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'nbf') return 'token not valid yet';
    if (e.claim === 'exp') return 'token has no expiry';
  }
  return 'invalid token';
}

/** Extracts the token from an `Authorization: Bearer …` header value. */
export function bearerToken(header: string | null | undefined): string | undefined {
  const m = header?.match(/^Bearer\s+(\S+)$/i);
  return m?.[1];
}
