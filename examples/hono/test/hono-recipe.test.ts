import { expectExactResume, turnThroughCut } from "@chat-replay/examples-test-support";
import { afterEach, describe, expect, it } from "vitest";
import { startServer } from "../src/server.ts";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe("Hono recipe", () => {
  it("a turn through app.route('/chat', replay.app) survives a cut mid-answer: resumed with Last-Event-ID under /chat, exactly the stored answer", async () => {
    const server = await startServer({ port: 0 });
    closers.push(server.close);
    expectExactResume(await turnThroughCut(`${server.url}/chat`), "/chat");
  });

  it("the app's own routes answer next to the sub-app, and nothing is served outside /chat", async () => {
    const server = await startServer({ port: 0 });
    closers.push(server.close);
    expect(await (await fetch(`${server.url}/api/health`)).json()).toEqual({ ok: true });
    const outside = await fetch(`${server.url}/api/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(outside.status).toBe(404);
  });
});
