/**
 * Thrown when a reader must stop for a reason retrying cannot fix (entries trimmed from
 * under it, a turn that ended without its end marker): never retried.
 */
export class ReaderGaveUp extends Error {
  override name = "ReaderGaveUp";
}

/** How a reader retries transient store failures (§6). */
export interface RetryPolicy {
  /** Failures in a row after which the error is rethrown (the connection is aborted). */
  readonly maxRetries: number;
  /** Delay before the first retry; doubles with every further failure. */
  readonly retryDelayMs: number;
  /** The reader's stop signal: an aborted reader retries nothing and wakes from a delay. */
  readonly signal: AbortSignal;
}

/**
 * Runs `step` until it succeeds, retrying transient failures with exponential backoff
 * (§6: "Transient buffer errors are retried with backoff"). Rethrows a {@link ReaderGaveUp},
 * the error after `maxRetries` retries, and any error once the reader stopped.
 */
export async function retryTransient<T>(step: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let failures = 0; ; ) {
    try {
      return await step();
    } catch (error) {
      if (error instanceof ReaderGaveUp || ++failures > policy.maxRetries || policy.signal.aborted)
        throw error;
      await delay(policy.retryDelayMs * 2 ** (failures - 1), policy.signal);
    }
  }
}

/** Waits `ms`, or less if `signal` aborts; leaves no listener on the signal either way. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
