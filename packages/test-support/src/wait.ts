/**
 * Polls `check` until it passes: it returns without throwing, and not `false`. What it returned
 * is returned, so a check may hand back what it waited for; on timeout the error says what was
 * awaited and why the last check failed.
 */
export async function until<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 30_000,
  intervalMs = 50,
): Promise<Exclude<T, false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: string;
    try {
      const value = await check();
      if (value !== false) return value as Exclude<T, false>;
      last = "it gave false";
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
