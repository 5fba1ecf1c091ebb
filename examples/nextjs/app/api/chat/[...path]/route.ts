// chat-replay as Next.js route handlers: every method of every path under /api/chat goes to
// one replay server's Web-standard fetch. The client's `baseUrl` is "/api/chat".
import { createReplayServer, type ReplayServer } from "@chat-replay/server";
import { createDemoTools, createScriptedModel, DEMO_TOOL_APPROVAL } from "@chat-replay/server/testing";

// Turns run in this process and stream for minutes: the Node.js runtime, never cached.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// One server per process. `next dev` re-evaluates this module on every edit; a new server
// each time would start with empty in-memory stores and orphan the live turns.
const globalForReplay = globalThis as typeof globalThis & { chatReplay?: ReplayServer };
globalForReplay.chatReplay ??= createReplayServer({
  // Any AI SDK LanguageModel (`openai("gpt-5")`, ...); the scripted demo model needs no key.
  model: createScriptedModel(),
  tools: createDemoTools(),
  toolApproval: DEMO_TOOL_APPROVAL,
  secret: process.env.CHAT_REPLAY_SECRET,
  // Next.js hands route handlers the full path, so the replay server matches the prefix.
  basePath: "/api/chat",
});
const replay = globalForReplay.chatReplay;

async function handle(request: Request): Promise<Response> {
  return replay.fetch(request);
}

export { handle as DELETE, handle as GET, handle as OPTIONS, handle as POST };
