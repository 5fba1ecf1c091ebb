// The app's own backend: a real model would go where the scripted one is. Its tools are the
// app's, with schemas from the app's own zod and `ai`, written the three usual ways. With a
// second `ai` in the tree (our packages once pinned their own) the `zodSchema()` and
// `jsonSchema()` ones fail to type-check: "Property '[schemaSymbol]' is missing".
import { createReplayServer } from "@chat-replay/server";
import { serveNode } from "@chat-replay/server/node";
import { createScriptedModel } from "@chat-replay/server/testing";
import { jsonSchema, tool, zodSchema } from "ai";
import { z } from "zod";

const lookupOrder = tool({
  description: "Looks an order up by its number.",
  inputSchema: z.object({ query: z.string().min(1) }),
  execute: async ({ query }) => ({ order: query, status: "shipped" as const }),
});
const findCustomer = tool({
  description: "Finds a customer by name.",
  inputSchema: zodSchema(z.object({ query: z.string() })),
  execute: async ({ query }) => ({ customer: query }),
});
const ping = tool({
  description: "Answers pong.",
  inputSchema: jsonSchema<{ query: string }>({
    type: "object",
    properties: { query: { type: "string" } },
    required: ["query"],
  }),
  execute: async ({ query }) => ({ pong: query }),
});

const replay = createReplayServer({
  model: createScriptedModel({ defaults: { delayMs: 0 } }),
  tools: { lookup_order: lookupOrder, find_customer: findCustomer, ping },
});
const server = await serveNode(replay, { port: Number(process.env.PORT ?? 0) });
console.log(`listening on ${server.url}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
