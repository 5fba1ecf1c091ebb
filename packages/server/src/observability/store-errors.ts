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
 * Aborted calls (a reader that went away, a closing server) are not errors. Methods are
 * wrapped once each, so a call costs one extra function frame.
 */
export function countStoreErrors<T extends object>(store: T, metrics: ReplayMetrics): T {
  const name = storeNameOf(store);
  const count = (error: unknown) => {
    if (!isAbort(error)) metrics.storeError(name);
    throw error;
  };
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value !== "function" || property === "constructor") return value;
      let wrapper = wrapped.get(property);
      if (wrapper === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        wrapper = function (this: unknown, ...args: unknown[]) {
          let result: unknown;
          try {
            result = method.apply(target, args);
          } catch (error) {
            count(error);
          }
          return result instanceof Promise ? result.catch(count) : result;
        };
        wrapped.set(property, wrapper);
      }
      return wrapper;
    },
  });
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}
