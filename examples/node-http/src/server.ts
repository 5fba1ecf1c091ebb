import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createReplayServer } from "@chat-replay/server";
import { toNodeHandler } from "@chat-replay/server/node";
import { createDemoTools, createScriptedModel, DEMO_TOOL_APPROVAL } from "@chat-replay/server/testing";

/**
 * A plain `node:http` server: chat-replay answers everything under `/chat` (the client's
 * `baseUrl` is `"/chat"`), the server's own code the rest. When chat-replay is all the server
 * does, `serveNode(replay, { port })` from `@chat-replay/server/node` is the one-liner.
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
    // node:http strips nothing from `req.url`: the replay server matches the prefix itself.
    basePath: "/chat",
  });
  const replayHandler = toNodeHandler(replay);

  const http = createServer((req, res) => {
    if (req.url === "/chat" || req.url?.startsWith("/chat/")) return void replayHandler(req, res);
    res.writeHead(200, { "content-type": "text/plain" }).end("the app's own page\n");
  });
  http.listen(port, hostname);
  await once(http, "listening");
  return {
    url: `http://${hostname}:${(http.address() as AddressInfo).port}`,
    async close() {
      await replay.close(); // ends live turns and closes the stores
      http.closeAllConnections(); // SSE responses never end on their own
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
