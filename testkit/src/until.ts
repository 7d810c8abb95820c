/**
 * Polls `probe` until it answers something other than `undefined` or `false`, and resolves to that answer; fails
 * naming `what` once `timeoutMs` has passed. The one way specs wait for an eventual state (a checkpoint reached, a
 * metric moved, a row written) instead of sleeping.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
