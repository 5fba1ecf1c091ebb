import type { UIMessage } from "ai";
import { describe, expect, it } from "vitest";
import { adoptHistory } from "./adopt-history";

const message = (id: string, text = id): UIMessage => ({ id, role: "user", parts: [{ type: "text", text }] });

describe("adoptHistory (§8.51)", () => {
  it("adopts a snapshot that contains the finished turn", () => {
    const live = [message("u1"), message("s:r1", "partial")];
    const snapshot = [message("u1"), message("s:r1", "complete")];
    expect(adoptHistory(live, snapshot)).toBe(snapshot);
  });

  it("never replaces the live list with a lagging snapshot", () => {
    const live = [message("u1"), message("s:r1")];
    expect(adoptHistory(live, [message("u1")])).toBe(live);
  });

  it("returns the live list itself when nothing differs (no visible change)", () => {
    const live = [message("u1"), message("s:r1")];
    expect(adoptHistory(live, structuredClone(live))).toBe(live);
  });

  it("lets the stored prompt replace an observer's synthetic prompt", () => {
    const live = [message("active-user:s:r1", "Hi"), message("s:r1")];
    const snapshot = [message("client-7", "Hi"), message("s:r1")];
    expect(adoptHistory(live, snapshot)).toBe(snapshot);
  });
});
