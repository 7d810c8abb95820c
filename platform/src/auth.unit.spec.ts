import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN_RULES, signToken, tokenRulesOf, verifyToken } from './auth.js';
import { loadConfig, z } from './config.js';

const SECRET = 'unit-test-secret-0123456789';
const key = new TextEncoder().encode(SECRET);
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A token signed with the right secret and issuer, with exactly the time claims given. */
function tokenWith(claims: { iat?: number; nbf?: number; exp?: number }): Promise<string> {
  const jwt = new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .setIssuer('campaign-manager');
  return jwt.sign(key);
}

const production = { clockSkewSeconds: 60, requireExpiry: true };

describe('verifyToken: time claims', () => {
  it('accepts a token we issued, and one whose clock runs a little ahead (within the skew)', async () => {
    await expect(verifyToken(SECRET, await signToken(SECRET, 'alice'))).resolves.toEqual({ userId: 'alice' });
    const ahead = await tokenWith({ iat: nowSeconds() + 30, nbf: nowSeconds() + 30, exp: nowSeconds() + 3600 });
    await expect(verifyToken(SECRET, ahead, production)).resolves.toEqual({ userId: 'alice' });
  });

  it.each([
    [
      'iat three years ahead',
      { iat: nowSeconds() + 3 * 365 * 86400, exp: nowSeconds() + 4 * 365 * 86400 },
      'token issued in the future',
    ],
    ['iat past the skew', { iat: nowSeconds() + 120, exp: nowSeconds() + 3600 }, 'token issued in the future'],
    [
      'nbf past the skew',
      { iat: nowSeconds(), nbf: nowSeconds() + 120, exp: nowSeconds() + 3600 },
      'token not valid yet',
    ],
    ['exp in the past', { iat: nowSeconds() - 100, exp: nowSeconds() - 1 }, 'token expired'],
  ])('refuses a token with %s: UNAUTHENTICATED', async (_name, claims, message) => {
    await expect(verifyToken(SECRET, await tokenWith(claims))).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message,
    });
    await expect(verifyToken(SECRET, await tokenWith(claims), production)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message,
    });
  });

  it('honours a configured skew', async () => {
    const token = await tokenWith({ iat: nowSeconds() + 120, exp: nowSeconds() + 3600 });
    await expect(verifyToken(SECRET, token, { clockSkewSeconds: 300, requireExpiry: false })).resolves.toEqual({
      userId: 'alice',
    });
    await expect(verifyToken(SECRET, token, { clockSkewSeconds: 0, requireExpiry: false })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });

  it('refuses a token without exp in production, and accepts it elsewhere', async () => {
    const eternal = await tokenWith({ iat: nowSeconds() });
    await expect(verifyToken(SECRET, eternal, DEFAULT_TOKEN_RULES)).resolves.toEqual({ userId: 'alice' });
    await expect(verifyToken(SECRET, eternal, production)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'token has no expiry',
    });
  });

  it('reads the rules from configuration: JWT_CLOCK_SKEW_SECONDS (default 60), exp required when NODE_ENV=production', () => {
    const config = (env: Record<string, string>) => loadConfig(z.object({}), env);
    expect(tokenRulesOf(config({ NODE_ENV: 'development' }))).toEqual({ clockSkewSeconds: 60, requireExpiry: false });
    expect(tokenRulesOf(config({ NODE_ENV: 'production', JWT_SECRET: SECRET, JWT_CLOCK_SKEW_SECONDS: '5' }))).toEqual({
      clockSkewSeconds: 5,
      requireExpiry: true,
    });
  });
});
