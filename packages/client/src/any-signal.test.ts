import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { anySignal } from "./any-signal";

const platformAny = AbortSignal.any;

describe.each([
  ["the platform's AbortSignal.any", false],
  ["the fallback (no AbortSignal.any, Safari < 17.4)", true],
])("anySignal with %s", (_name, withoutPlatformAny) => {
  beforeEach(() => {
    if (withoutPlatformAny) Reflect.deleteProperty(AbortSignal, "any");
  });
  afterEach(() => {
    AbortSignal.any = platformAny;
  });

  it("uses the fallback exactly when the platform has none", () => {
    expect(typeof AbortSignal.any === "function").toBe(!withoutPlatformAny);
  });

  it("aborts with the reason of the first source that aborts", () => {
    const first = new AbortController();
    const second = new AbortController();
    const combined = anySignal([first.signal, second.signal]);
    expect(combined.aborted).toBe(false);
    second.abort("second");
    first.abort("first");
    expect(combined.aborted).toBe(true);
    expect(combined.reason).toBe("second");
  });

  it("is aborted at once when a source already is", () => {
    const live = new AbortController();
    const done = AbortSignal.abort("gone");
    const combined = anySignal([live.signal, done]);
    expect(combined.aborted).toBe(true);
    expect(combined.reason).toBe("gone");
  });

  it("fires one abort event", () => {
    const first = new AbortController();
    const second = new AbortController();
    const combined = anySignal([first.signal, second.signal]);
    let events = 0;
    combined.addEventListener("abort", () => events++);
    first.abort();
    second.abort();
    expect(events).toBe(1);
  });
});
