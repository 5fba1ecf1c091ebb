/** A method as {@link delegateMethods} hands it over: call it with `apply(target, args)`. */
export type AnyMethod = (...args: unknown[]) => unknown;

/**
 * An object that stands for `target`: its prototype is `target` (fields, getters and
 * `instanceof` read through), each method in `overrides` is its own, and every other method
 * runs on `target` itself through `wrap`, so state a method sets lands on `target` whichever
 * object it was called on. Built once; a call costs one extra frame and nothing per property
 * read (a `Proxy` would cost a trap on every access).
 */
export function delegateMethods<T extends object>(
  target: T,
  wrap: (method: AnyMethod) => AnyMethod,
  overrides: Partial<T> = {},
): T {
  const wrapper = Object.create(target) as T;
  // Defined, not assigned: the target may hold read-only methods of the same names.
  for (const [property, value] of Object.entries(overrides))
    Object.defineProperty(wrapper, property, { value });
  for (
    let owner: object | null = target;
    owner !== null && owner !== Object.prototype;
    owner = Object.getPrototypeOf(owner)
  ) {
    for (const property of Object.getOwnPropertyNames(owner)) {
      if (property === "constructor" || Object.hasOwn(wrapper, property)) continue;
      const method: unknown = Object.getOwnPropertyDescriptor(owner, property)?.value;
      if (typeof method !== "function") continue;
      Object.defineProperty(wrapper, property, { value: wrap(method as AnyMethod) });
    }
  }
  return wrapper;
}
