import { describe, expect, it } from 'vitest';
import { signToken } from '@cm/platform';
import { VerifiedTokens } from './verified-tokens.js';

const SECRET = 'unit-test-secret-0123456789';

describe('VerifiedTokens', () => {
  it('answers a verified token from memory, but never past its exp', async () => {
    let now = Date.now();
    const tokens = new VerifiedTokens(SECRET, () => now);
    const token = await signToken(SECRET, 'alice', '30s');
    expect(await tokens.verify(token)).toEqual({ userId: 'alice' });
    now += 20_000;
    expect(await tokens.verify(token)).toEqual({ userId: 'alice' });
    now += 15_000; // the entry is gone; the real check runs again (and jose, on the real clock, still accepts it)
    expect(await tokens.verify(token)).toEqual({ userId: 'alice' });
  });

  it('refuses a bad token every time', async () => {
    const tokens = new VerifiedTokens(SECRET);
    const forged = await signToken('another-secret-0123456789', 'mallory');
    await expect(tokens.verify(forged)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(tokens.verify(forged)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
