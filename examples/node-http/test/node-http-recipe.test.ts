import { expectExactResume, turnThroughCut } from "@chat-replay/examples-test-support";
import { afterEach, describe, expect, it } from "vitest";
import { startServer } from "../src/server.ts";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe("node:http recipe", () => {
  it("a turn through createServer + toNodeHandler (basePath /chat) survives a cut mid-answer: resumed with Last-Event-ID under /chat, exactly the stored answer", async () => {
    const server = await startServer({ port: 0 });
    closers.push(server.close);
    expectExactResume(await turnThroughCut(`${server.url}/chat`), "/chat");
  });

  it("requests outside /chat reach the server's own code", async () => {
    const server = await startServer({ port: 0 });
    closers.push(server.close);
    expect(await (await fetch(`${server.url}/`)).text()).toBe("the app's own page\n");
  });
});
