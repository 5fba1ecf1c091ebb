import { describe, expect, it } from "vitest";
import { parseHashRoute, sessionHash } from "./hash-route";

describe("hash routes", () => {
  it("round-trips a session id, escapes included", () => {
    expect(parseHashRoute(sessionHash("a b/c"))).toEqual({ sessionId: "a b/c", shareToken: null });
  });

  it("round-trips a share token", () => {
    expect(parseHashRoute(sessionHash("abc", "t.k+/="))).toEqual({ sessionId: "abc", shareToken: "t.k+/=" });
  });

  it("selects no session for other hashes and malformed escapes", () => {
    const none = { sessionId: null, shareToken: null };
    expect(parseHashRoute("")).toEqual(none);
    expect(parseHashRoute("#/elsewhere")).toEqual(none);
    expect(parseHashRoute("#/session/")).toEqual(none);
    expect(parseHashRoute("#/session/?share=t")).toEqual(none);
    expect(parseHashRoute("#/session/%E0%A4%A")).toEqual(none);
  });
});
