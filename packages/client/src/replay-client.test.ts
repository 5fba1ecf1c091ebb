import { describe, expect, it } from "vitest";
import { ReplayClient } from "./replay-client";

describe("ReplayClient", () => {
  it("calls a given fetch as a plain function (a browser's own fetch throws Illegal invocation on any other `this`)", async () => {
    function windowFetch(this: unknown, _input: RequestInfo | URL, _init?: RequestInit): Promise<Response> {
      if (this !== undefined && this !== globalThis) throw new TypeError("Illegal invocation");
      return Promise.resolve(Response.json({ id: "s1", title: "Chat", created_at: "2026-12-01T00:00:00Z" }));
    }
    const client = new ReplayClient({ fetch: windowFetch as typeof fetch });
    await expect(client.createSession({ title: "Chat" })).resolves.toMatchObject({ id: "s1" });
  });

  it("puts the base URL, headers and credentials on every request, and the server's error on a non-2xx answer", async () => {
    const seen: Request[] = [];
    const client = new ReplayClient({
      baseUrl: "https://api.example/chat",
      headers: { authorization: "Bearer t" },
      credentials: "include",
      fetch: async (input, init) => {
        seen.push(new Request(input, init));
        return Response.json({ error: { code: "not_found", message: "No such session." } }, { status: 404 });
      },
    });
    await expect(client.history("a b")).rejects.toMatchObject({ status: 404, code: "not_found" });
    expect(seen[0]?.url).toBe("https://api.example/chat/api/sessions/a%20b");
    expect(seen[0]?.headers.get("authorization")).toBe("Bearer t");
    expect(seen[0]?.credentials).toBe("include");
  });
});
