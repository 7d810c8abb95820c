import type http from 'node:http';
import { AppError, ErrorCode } from '@cm/contracts';
import { bearerToken, verifyToken } from '@cm/platform';

/** The cookie a browser page may carry the bearer token in (EventSource cannot set headers). */
export const TOKEN_COOKIE = 'cm_token';

export interface Caller {
  userId: string;
  /** When the token expires (ms since epoch); the stream ends then. */
  expiresAtMs: number | undefined;
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** The token of a request: `Authorization: Bearer`, else the `cm_token` cookie, else (when allowed) `?token=`. */
export function tokenOf(req: { headers: http.IncomingHttpHeaders }, url: URL, allowQuery: boolean): string | undefined {
  return (
    bearerToken(req.headers.authorization) ??
    cookie(req.headers.cookie, TOKEN_COOKIE) ??
    (allowQuery ? (url.searchParams.get('token') ?? undefined) : undefined)
  );
}

/** Verifies the token with the platform's one verifier and reads its expiry, or throws `UNAUTHENTICATED`. */
export async function authenticate(secret: string, token: string | undefined): Promise<Caller> {
  if (!token)
    throw new AppError(
      ErrorCode.UNAUTHENTICATED,
      'a bearer token is required (Authorization header, cm_token cookie or token parameter)',
    );
  const { userId } = await verifyToken(secret, token);
  // Verified above; the payload is read only for its expiry.
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: number };
  return { userId, expiresAtMs: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined };
}
