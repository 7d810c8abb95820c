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
    key = webcrypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    keys.set(secret, key);
  }
  return key;
};

/** Issues an HS256 bearer token for `userId`. */
export async function signToken(secret: string, userId: string, ttl: string = '12h'): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setIssuer(ISSUER).setIssuedAt().setExpirationTime(ttl).sign(await keyOf(secret));
}

/** Verifies a bearer token and returns its principal, or throws `UNAUTHENTICATED`. */
export async function verifyToken(secret: string, token: string): Promise<Principal> {
  try {
    const { payload } = await jwtVerify(token, await keyOf(secret), { algorithms: ['HS256'], issuer: ISSUER });
    if (!payload.sub || !ID_PATTERN.test(payload.sub)) throw new AppError(ErrorCode.UNAUTHENTICATED, 'token has no valid subject');
    return { userId: payload.sub };
  } catch (e) {
    if (e instanceof AppError) throw e;
    const reason = e instanceof joseErrors.JWTExpired ? 'token expired' : 'invalid token';
    throw new AppError(ErrorCode.UNAUTHENTICATED, reason);
  }
}

/** Extracts the token from an `Authorization: Bearer …` header value. */
export function bearerToken(header: string | null | undefined): string | undefined {
  const m = header?.match(/^Bearer\s+(\S+)$/i);
  return m?.[1];
}
