import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { expectExactResume, turnThroughCut } from "@chat-replay/examples-test-support";
import { createReplayServer } from "@chat-replay/server";
import { toNodeHandler } from "@chat-replay/server/node";
import { createScriptedModel } from "@chat-replay/server/testing";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { startServer } from "../src/server.ts";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe("Express recipe", () => {
  it("a turn through app.use('/chat', toNodeHandler(replay)) survives a cut mid-answer: resumed with Last-Event-ID under /chat, exactly the stored answer", async () => {
    const server = await startServer({ port: 0 });
    closers.push(server.close);
    expectExactResume(await turnThroughCut(`${server.url}/chat`), "/chat");
  });

  it("the app's own express.json() route works next to the mount", async () => {
    const server = await startServer({ port: 0 });
    closers.push(server.close);
    const response = await fetch(`${server.url}/api/notes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "hello" }),
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ saved: { text: "hello" } });
  });

  it("express.json() before the mount: toNodeHandler takes the body it parsed, and the turn still resumes exactly", async () => {
    const replay = createReplayServer({ model: createScriptedModel() });
    const app = express();
    app.use(express.json()); // the other order: the parser reads every JSON body first
    app.use("/chat", toNodeHandler(replay));
    const http = app.listen(0, "127.0.0.1");
    await once(http, "listening");
    closers.push(async () => {
      await replay.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    });
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    expectExactResume(await turnThroughCut(`${url}/chat`), "/chat");
  });
});
