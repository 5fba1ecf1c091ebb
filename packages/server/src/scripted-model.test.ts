import {
  convertToModelMessages,
  generateText,
  type ModelMessage,
  stepCountIs,
  streamText,
  type TextStreamPart,
  type ToolSet,
  tool,
} from "ai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createScriptedModel, parseDirectives, stripDirectives } from "./scripted-model.js";

const model = createScriptedModel({ defaults: { delayMs: 0 } });
const silent = () => {};

/** Runs streamText and collects every part of `result.stream` (the non-deprecated fullStream). */
async function collect<TOOLS extends ToolSet>(options: Parameters<typeof streamText<TOOLS>>[0]) {
  const result = streamText({ onError: silent, ...options });
  const parts: TextStreamPart<TOOLS>[] = [];
  for await (const part of result.stream) parts.push(part);
  return { result, parts };
}

function textOf(parts: TextStreamPart<ToolSet>[], type: "text-delta" | "reasoning-delta" = "text-delta") {
  return parts.flatMap((part) => (part.type === type ? [part.text] : [])).join("");
}

function wordCount(text: string) {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Drops timing-dependent fields so two runs can be compared structurally. */
function withoutTimings(parts: TextStreamPart<ToolSet>[]) {
  return JSON.parse(
    JSON.stringify(parts, (key, value) => (key === "performance" || key === "timestamp" ? undefined : value)),
  );
}

/** A tool that records its calls; `needsApproval` is the tool-level (deprecated but working) approval flag. */
function searchTool(calls: string[], needsApproval = false) {
  return tool({
    inputSchema: z.object({ query: z.string() }),
    needsApproval,
    execute: async ({ query }) => {
      calls.push(query);
      return { hits: [`result for ${query}`] };
    },
  });
}

describe("parseDirectives", () => {
  it("applies defaults and reads every directive", () => {
    expect(parseDirectives("hello")).toEqual({
      words: 60,
      delayMs: 30,
      reasoningWords: 0,
      toolName: undefined,
      approval: false,
      failAfter: undefined,
      chunkChars: undefined,
    });
    const all = "[[words=5]] [[delay=0]] [[reasoning=3]] [[tool=search]] [[fail_after=2]] [[chunk=4]] hi";
    expect(parseDirectives(all)).toMatchObject({
      words: 5,
      delayMs: 0,
      reasoningWords: 3,
      toolName: "search",
    });
    expect(parseDirectives(all)).toMatchObject({ failAfter: 2, chunkChars: 4, approval: false });
  });

  it("defaults the approval tool name and ignores malformed values", () => {
    expect(parseDirectives("[[approval]]")).toMatchObject({ approval: true, toolName: "approve_action" });
    expect(parseDirectives("[[approval]] [[tool=wipe]]").toolName).toBe("wipe");
    expect(parseDirectives("[[words=abc]] [[chunk=0]]")).toMatchObject({ words: 60, chunkChars: undefined });
    expect(stripDirectives("Find  [[words=3]] cats [[tool=search]]")).toBe("Find cats");
  });
});

describe("createScriptedModel through streamText", () => {
  it("is deterministic for the same prompt and differs between prompts", async () => {
    const prompt = "Tell me about rivers [[words=12]] [[reasoning=4]]";
    const first = await collect({ model, prompt });
    const second = await collect({ model, prompt });
    expect(withoutTimings(first.parts)).toEqual(withoutTimings(second.parts));
    const other = await collect({ model, prompt: "Tell me about mountains [[words=12]]" });
    expect(textOf(other.parts)).not.toBe(textOf(first.parts));
  });

  it("emits exactly [[words=N]] words, one word per delta, with a well-formed part sequence", async () => {
    const { parts, result } = await collect({ model, prompt: "Count please [[words=7]]" });
    expect(parts.map((part) => part.type)).toEqual([
      "start",
      "start-step",
      "text-start",
      ...Array<string>(7).fill("text-delta"),
      "text-end",
      "finish-step",
      "finish",
    ]);
    expect(wordCount(await result.text)).toBe(7);
    expect(await result.finishReason).toBe("stop");
    const ids = new Set(
      parts.flatMap((part) => (part.type.startsWith("text-") && "id" in part ? [part.id] : [])),
    );
    expect(ids.size).toBe(1);
  });

  it("uses 60 words by default and [[chunk=N]] re-slices the same text", async () => {
    const byWord = await collect({ model, prompt: "Default length" });
    expect(wordCount(textOf(byWord.parts))).toBe(60);
    const byChunk = await collect({ model, prompt: "Default length [[chunk=5]]" });
    expect(textOf(byChunk.parts)).toBe(textOf(byWord.parts));
    const deltas = byChunk.parts.filter((part) => part.type === "text-delta");
    expect(deltas.every((part) => part.text.length <= 5)).toBe(true);
  });

  it("streams [[reasoning=N]] words before the text", async () => {
    const { parts, result } = await collect({ model, prompt: "Think first [[reasoning=5]] [[words=3]]" });
    const types = parts.map((part) => part.type);
    expect(types.indexOf("reasoning-end")).toBeLessThan(types.indexOf("text-start"));
    expect(wordCount(textOf(parts, "reasoning-delta"))).toBe(5);
    expect(wordCount((await result.finalStep).reasoningText ?? "")).toBe(5);
  });

  it("calls a tool, lets streamText execute it, then answers in a second step", async () => {
    const calls: string[] = [];
    const { parts, result } = await collect({
      model,
      prompt: "Find cats [[tool=search]] [[words=4]]",
      tools: { search: searchTool(calls) },
      stopWhen: stepCountIs(3),
    });
    const types = parts.map((part) => part.type);
    expect(types.filter((type) => type === "tool-input-delta").length).toBeGreaterThan(1);
    expect(types.filter((type) => type === "start-step")).toHaveLength(2);
    expect(parts.find((part) => part.type === "tool-call")).toMatchObject({
      toolName: "search",
      input: { query: "Find cats" },
    });
    expect(parts.find((part) => part.type === "tool-result")).toMatchObject({
      output: { hits: ["result for Find cats"] },
    });
    expect(calls).toEqual(["Find cats"]);
    expect(wordCount(await result.text)).toBe(4);
    expect((await result.responseMessages).map((message) => message.role)).toEqual([
      "assistant",
      "tool",
      "assistant",
    ]);
    expect((await result.finalStep).response.messages.map((message) => message.role)).toEqual(["assistant"]);
  });

  it("reasons anew after a tool result: the second step's reasoning is new text, never a repeat", async () => {
    const { parts } = await collect({
      model,
      prompt: "Find cats [[tool=search]] [[reasoning=12]] [[words=4]]",
      tools: { search: searchTool([]) },
      stopWhen: stepCountIs(3),
    });
    const steps: string[][] = [];
    for (const part of parts) {
      if (part.type === "start-step") steps.push([]);
      if (part.type === "reasoning-delta") steps.at(-1)?.push(part.text);
    }
    expect(steps).toHaveLength(2);
    const [first, second] = steps.map((deltas) => deltas.join(""));
    expect(wordCount(first ?? "")).toBe(12);
    expect(wordCount(second ?? "")).toBe(12);
    expect(second).not.toBe(first);
  });

  it("reports a throwing tool as tool-error and answers that the tool failed", async () => {
    const failing = tool({
      inputSchema: z.object({ query: z.string() }),
      execute: async (): Promise<string> => {
        throw new Error("kaput");
      },
    });
    const { parts, result } = await collect({
      model,
      prompt: "Find [[tool=search]]",
      tools: { search: failing },
      stopWhen: stepCountIs(3),
    });
    expect(parts.find((part) => part.type === "tool-error")).toMatchObject({
      toolName: "search",
      error: { message: "kaput" },
    });
    expect(await result.text).toBe("The search tool failed, so I cannot use its result.");
    const [, toolMessage] = await result.responseMessages;
    expect(toolMessage).toMatchObject({
      role: "tool",
      content: [{ output: { type: "error-text", value: "Error: kaput" } }],
    });
  });

  it("accepts UI messages through the async convertToModelMessages", async () => {
    const pending = convertToModelMessages([
      { role: "user", parts: [{ type: "text", text: "Hi [[words=2]]" }] },
    ]);
    expect(pending).toBeInstanceOf(Promise);
    const { result } = await collect({ model, messages: await pending });
    expect(wordCount(await result.text)).toBe(2);
  });

  it("answers with a generateText call too (doGenerate)", async () => {
    const streamed = await collect({ model, prompt: "Same text [[words=6]]" });
    const generated = await generateText({ model, prompt: "Same text [[words=6]]" });
    expect(generated.text).toBe(textOf(streamed.parts));
  });

  it("[[fail_after=N]] produces an error part after N deltas", async () => {
    const { parts, result } = await collect({ model, prompt: "Break [[words=10]] [[fail_after=3]]" });
    const errorIndex = parts.findIndex((part) => part.type === "error");
    expect(errorIndex).toBeGreaterThan(0);
    expect(parts.slice(0, errorIndex).filter((part) => part.type === "text-delta")).toHaveLength(3);
    expect(parts[errorIndex]).toMatchObject({ error: { message: "Scripted failure after 3 chunks" } });
    expect(await result.finishReason).toBe("error");
  });

  it("stops promptly when the abort signal fires", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const result = streamText({
      model,
      prompt: "Long [[words=500]] [[delay=20]]",
      abortSignal: controller.signal,
    });
    const types: string[] = [];
    for await (const part of result.stream) {
      types.push(part.type);
      if (part.type === "text-delta") controller.abort();
    }
    expect(types.at(-1)).toBe("abort");
    expect(types.filter((type) => type === "text-delta")).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(result.text).rejects.toThrow(/abort/i);
  });
});

describe("tool approval flow", () => {
  const prompt: ModelMessage[] = [{ role: "user", content: "Delete old files [[approval]] [[words=5]]" }];

  /** Step one: the model calls approve_action and streamText stops with an approval request. */
  async function requestApproval(calls: string[]) {
    const tools = { approve_action: searchTool(calls, true) };
    const first = await collect({ model, messages: prompt, tools, stopWhen: stepCountIs(3) });
    const request = first.parts.find((part) => part.type === "tool-approval-request");
    if (request?.type !== "tool-approval-request") throw new Error("no approval request");
    const history = [...prompt, ...(await first.result.responseMessages)];
    return { tools, first, request, history };
  }

  it("stops with a tool-approval-request and does not execute the tool", async () => {
    const calls: string[] = [];
    const { first, request, history } = await requestApproval(calls);
    expect(first.parts.map((part) => part.type).slice(-3)).toEqual([
      "tool-approval-request",
      "finish-step",
      "finish",
    ]);
    expect(request.toolCall).toMatchObject({
      toolName: "approve_action",
      input: { query: "Delete old files" },
    });
    expect(await first.result.finishReason).toBe("tool-calls");
    expect(calls).toEqual([]);
    expect(history.at(-1)).toMatchObject({
      role: "assistant",
      content: [{ type: "tool-call" }, { type: "tool-approval-request", approvalId: request.approvalId }],
    });
  });

  it("continues after approval: executes the tool, then streams the answer", async () => {
    const calls: string[] = [];
    const { tools, request, history } = await requestApproval(calls);
    const approval: ModelMessage = {
      role: "tool",
      content: [{ type: "tool-approval-response", approvalId: request.approvalId, approved: true }],
    };
    const second = await collect({
      model,
      messages: [...history, approval],
      tools,
      stopWhen: stepCountIs(3),
    });
    const types = second.parts.map((part) => part.type);
    expect(types.slice(0, 3)).toEqual(["start", "tool-result", "start-step"]);
    expect(calls).toEqual(["Delete old files"]);
    expect(wordCount(await second.result.text)).toBe(5);
    expect((await second.result.responseMessages).map((message) => message.role)).toEqual([
      "tool",
      "assistant",
    ]);
  });

  it("continues after denial: emits tool-output-denied and the answer says so", async () => {
    const calls: string[] = [];
    const { tools, request, history } = await requestApproval(calls);
    const denial: ModelMessage = {
      role: "tool",
      content: [
        { type: "tool-approval-response", approvalId: request.approvalId, approved: false, reason: "nope" },
      ],
    };
    const second = await collect({ model, messages: [...history, denial], tools, stopWhen: stepCountIs(3) });
    expect(second.parts.map((part) => part.type).slice(0, 3)).toEqual([
      "start",
      "tool-output-denied",
      "start-step",
    ]);
    expect(calls).toEqual([]);
    expect(await second.result.text).toBe(
      "The approve_action action was denied (nope), so I did not run it.",
    );
    const [toolMessage] = await second.result.responseMessages;
    expect(toolMessage).toMatchObject({
      role: "tool",
      content: [{ type: "tool-result", output: { type: "execution-denied", reason: "nope" } }],
    });
  });

  it("also works with the streamText-level toolApproval option", async () => {
    const calls: string[] = [];
    const { parts } = await collect({
      model,
      messages: prompt,
      tools: { approve_action: searchTool(calls) },
      toolApproval: { approve_action: "user-approval" },
      stopWhen: stepCountIs(3),
    });
    expect(parts.some((part) => part.type === "tool-approval-request")).toBe(true);
    expect(calls).toEqual([]);
  });
});
