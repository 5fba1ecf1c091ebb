import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { createReplayServer } from "@chat-replay/server";
import { toNodeHandler } from "@chat-replay/server/node";
import { createDemoTools, createScriptedModel, DEMO_TOOL_APPROVAL } from "@chat-replay/server/testing";
import express from "express";

/**
 * An Express 5 app with chat-replay mounted at `/chat` (the client's `baseUrl` is `"/chat"`)
 * next to a JSON route of its own, listening on loopback.
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

  const app = express();
  // Express strips "/chat" before the handler runs, so the replay server needs no basePath.
  // Mounted before the body parsers: chat-replay reads its own request bodies.
  app.use("/chat", toNodeHandler(replay));
  app.use(express.json());
  app.post("/api/notes", (req, res) => {
    res.status(201).json({ saved: req.body });
  });

  const http = app.listen(port, hostname);
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
