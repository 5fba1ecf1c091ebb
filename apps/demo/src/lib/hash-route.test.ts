import { describe, expect, it } from "vitest";
import { parseHashRoute, sessionHash } from "./hash-route";

describe("hash routes", () => {
  it("round-trips a session id, escapes included", () => {
    expect(parseHashRoute(sessionHash("a b/c"))).toEqual({ sessionId: "a b/c" });
  });

  it("selects no session for other hashes and malformed escapes", () => {
    expect(parseHashRoute("")).toEqual({ sessionId: null });
    expect(parseHashRoute("#/elsewhere")).toEqual({ sessionId: null });
    expect(parseHashRoute("#/session/")).toEqual({ sessionId: null });
    expect(parseHashRoute("#/session/%E0%A4%A")).toEqual({ sessionId: null });
  });
});
