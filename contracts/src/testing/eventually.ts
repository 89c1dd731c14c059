/**
 * Calls `check` until it stops throwing, then returns its result; fails with the last error once the
 * deadline passes. Use it for every asynchronous outcome instead of sleeping.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 25 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(`condition not met within ${timeoutMs} ms: ${message}`, { cause: error });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until `predicate` returns true. */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  options?: { timeoutMs?: number; intervalMs?: number },
): Promise<void> {
  await eventually(async () => {
    if (!(await predicate())) throw new Error(what);
  }, options);
}
