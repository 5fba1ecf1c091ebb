import { describe, expect, it } from "vitest";
import { startServer } from "./harness";

describe("GET /:id history pages (§3 History pages)", () => {
  it("limit pages the newest turns first; following `before` returns every message once, in order", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    for (let turn = 0; turn < 5; turn += 1) {
      await (await client.send(sessionId, `turn ${turn} [[words=2]]`)).text();
      await client.waitForStatus(sessionId, (status) => status.turn_status === "idle");
    }
    const all = await client.history(sessionId);
    expect(all).toHaveLength(10);
    const pages: { messages: { id: string }[]; page: { limit: number; before: string | null } }[] = [];
    let before: string | null = null;
    do {
      const query: string = `?limit=2${before === null ? "" : `&before=${before}`}`;
      const response = await client.request(`/api/sessions/${sessionId}${query}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as (typeof pages)[number];
      pages.push(body);
      before = body.page.before;
    } while (before !== null && pages.length < 10);
    expect(pages.map((page) => page.messages.length)).toEqual([4, 4, 2]);
    expect(pages.reverse().flatMap((page) => page.messages.map((message) => message.id))).toEqual(
      all.map((message) => message.id),
    );
  });

  it("without limit the whole history comes back as before (no page field)", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const body = (await (await client.request(`/api/sessions/${sessionId}`)).json()) as Record<
      string,
      unknown
    >;
    expect(body.messages).toEqual([]);
    expect(body).not.toHaveProperty("page");
  });

  it("bad limit or before → 400 bad_request that never echoes the input", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    for (const query of [
      "limit=0",
      "limit=1001",
      "limit=x<script>",
      "before=12",
      "limit=2&before=<script>",
    ]) {
      const response = await client.request(`/api/sessions/${sessionId}?${query}`);
      expect(response.status).toBe(400);
      const text = await response.text();
      expect(JSON.parse(text).error.code).toBe("bad_request");
      expect(text).not.toContain("script");
    }
  });
});
