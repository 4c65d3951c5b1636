/** How long and how fast to retry: the defaults ride out a broker restart (about ten seconds here). */
export interface RetryPolicy {
  timeoutMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

const DEFAULT_POLICY: RetryPolicy = {
  timeoutMs: 30_000,
  initialDelayMs: 100,
  maxDelayMs: 2_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
};

/**
 * Calls `call` until it succeeds, retrying errors that kafkajs marks retriable (NOT_COORDINATOR,
 * COORDINATOR_LOAD_IN_PROGRESS, ...) with doubling backoff. A non-retriable error, or a retriable
 * one whose next attempt would fall past the deadline, is thrown as it came.
 */
export async function retryRetriable<T>(
  call: () => Promise<T>,
  onRetry: (error: unknown) => void,
  policy: Partial<RetryPolicy> = {},
): Promise<T> {
  const { timeoutMs, initialDelayMs, maxDelayMs, sleep, now } = { ...DEFAULT_POLICY, ...policy };
  const deadline = now() + timeoutMs;
  for (let delayMs = initialDelayMs; ; delayMs = Math.min(delayMs * 2, maxDelayMs)) {
    try {
      return await call();
    } catch (error) {
      if ((error as { retriable?: unknown } | null)?.retriable !== true || now() + delayMs > deadline) throw error;
      onRetry(error);
      await sleep(delayMs);
    }
  }
}
