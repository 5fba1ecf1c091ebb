import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createReplayServer } from "@chat-replay/server";
import { createDemoTools, createScriptedModel, DEMO_TOOL_APPROVAL } from "@chat-replay/server/testing";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

/**
 * A Hono app with chat-replay as a sub-app at `/chat` (the client's `baseUrl` is `"/chat"`)
 * next to routes of its own, served on Node by @hono/node-server. On Bun, Deno or Workers,
 * export `app.fetch` instead of calling `serve`.
 * @example
 * const { url, close } = await startServer({ port: 3000 });
 */
export async function startServer({ port = 3000, hostname = "127.0.0.1" } = {}) {
  const replay = createReplayServer({
    // Any AI SDK LanguageModel (`openai("gpt-5")`, ...); the scripted demo model needs no key.
    model: createScriptedModel(),
    tools: createDemoTools(),
    toolApproval: DEMO_TOOL_APPROVAL,
    secret: process.env.CHAT_REPLAY_SECRET,
  });

  const app = new Hono();
  app.get("/api/health", (c) => c.json({ ok: true }));
  // A sub-app: Hono adds "/chat" to every replay route, so the replay server needs no basePath.
  app.route("/chat", replay.app);

  const http = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const instance = serve({ fetch: app.fetch, port, hostname }, () => resolve(instance));
  });
  return {
    url: `http://${hostname}:${(http.address() as AddressInfo).port}`,
    async close() {
      await replay.close(); // ends live turns and closes the stores
      (http as Server).closeAllConnections(); // SSE responses never end on their own
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
