import { delegateMethods } from "../delegate-methods";
import type { ReplayMetrics } from "./replay-metrics";

/** `redis`, `postgres`, `memory` or `custom`: the name a store is counted and checked under. */
export function storeNameOf(store: object): string {
  const explicit = (store as { readonly storeName?: unknown }).storeName;
  if (typeof explicit === "string") return explicit;
  const match = /^(Memory|Redis|Postgres)/.exec(store.constructor?.name ?? "");
  return match ? match[1]!.toLowerCase() : "custom";
}

/**
 * The store, with every failed call counted in `chat_replay_store_errors_total{store}`.
 * Aborted calls (a reader that went away, a closing server) are not errors. A delegating
 * object built once (its prototype is the store, so fields and getters read through), not a
 * `Proxy`: a call costs one extra function frame and one `catch`, nothing per property read.
 */
export function countStoreErrors<T extends object>(store: T, metrics: ReplayMetrics): T {
  const name = storeNameOf(store);
  const count = (error: unknown): never => {
    if (!isAbort(error)) metrics.storeError(name);
    throw error;
  };
  return delegateMethods(store, (method) => (...args) => {
    let result: unknown;
    try {
      result = method.apply(store, args);
    } catch (error) {
      count(error);
    }
    return result instanceof Promise ? result.catch(count) : result;
  });
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}
