import { type ToolSet, tool } from "ai";
import { z } from "zod";

/** Which demo tools need a human decision before they run (streamText's `toolApproval`). */
export const DEMO_TOOL_APPROVAL = {
  approve_action: "user-approval",
  deploy: "user-approval",
} as const;

/**
 * Tools the scripted demo model can call (`[[tool=NAME]]`, `[[approval]]`). Deterministic
 * and offline, so demos, tests and benchmarks see the same outputs every time.
 */
export function createDemoTools(): ToolSet {
  const query = z.object({ query: z.string().optional() }).passthrough();
  return {
    search: tool({
      description: "Searches the demo knowledge base.",
      inputSchema: query,
      execute: async (input) => ({
        results: [`${input.query ?? "chat-replay"}: resumable streams`, "exact resume with Last-Event-ID"],
      }),
    }),
    get_weather: tool({
      description: "Reports the (always sunny) demo weather.",
      inputSchema: query,
      execute: async (input) => ({ location: input.query ?? "here", forecast: "sunny", celsius: 21 }),
    }),
    approve_action: tool({
      description: "An action that a human must approve first.",
      inputSchema: query,
      execute: async (input) => ({ done: true, action: input.query ?? "action" }),
    }),
    deploy: tool({
      description: "Deploys the demo app; needs approval.",
      inputSchema: query,
      execute: async () => ({ deployed: true, version: "1.0.0" }),
    }),
    fail: tool({
      description: "Always fails, to show tool errors.",
      inputSchema: query,
      execute: async (input): Promise<{ ok: boolean }> => {
        throw new Error(`The fail tool always fails (${input.query ?? "no query"}).`);
      },
    }),
  };
}
